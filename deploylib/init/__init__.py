"""`deploylib init`: a commented deploy.toml (and dodo.py) written from what an existing repository holds.

    survey.py   reads the repository (files, package.json, tags, origin, gh-pages): the only I/O but writing
    detect.py   what those facts mean (framework, commands, output folder, tag format, Pages URL): pure
    render.py   the deploy.toml and dodo.py text, with comments: pure
    write.py    writes them, never over an existing file
"""
