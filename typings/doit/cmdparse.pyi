from typing import Any

class CmdParseError(Exception): ...
class CmdOption:
    name: str
    type: type
    choices: dict[str, str]
    def __init__(self, opt_dict: dict[str, Any]) -> None: ...
