# One class for every component value: deploylib.validate.selectors tells them apart by `type`, as tinycss2's docs
# advise, and reads only the attributes of the kinds it has checked for.
from typing import Any

class Node:
    type: str
    source_line: int
    source_column: int
    value: Any  # str for idents, hashes, strings and literals; a number for numbers
    lower_value: str
    is_identifier: bool  # hash tokens
    name: str  # functions
    lower_name: str
    arguments: list[Node]  # functions
    content: list[Node]  # blocks
    kind: str  # parse errors
    message: str
    def serialize(self) -> str: ...
