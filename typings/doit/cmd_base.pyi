from typing import Any

opt_dodo: dict[str, Any]
opt_cwd: dict[str, Any]
opt_seek_file: dict[str, Any]

class Command:
    cmd_options: tuple[dict[str, Any], ...]
    @classmethod
    def get_name(cls) -> str: ...

class DoitCmdBase(Command):
    base_options: tuple[dict[str, Any], ...]

class DodoTaskLoader:
    cmd_options: tuple[dict[str, Any], ...]
