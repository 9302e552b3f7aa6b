from doit.cmd_base import Command

class DoitMain:
    DOIT_CMDS: tuple[type[Command], ...]
