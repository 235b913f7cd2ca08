"""One Typer app per noun; each command parses, makes one call into the core, renders."""
