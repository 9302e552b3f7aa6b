# tinycss2 ships no type information: the part deploylib.validate.selectors uses.
from tinycss2.ast import Node

def parse_component_value_list(css: str, skip_comments: bool = ...) -> list[Node]: ...
