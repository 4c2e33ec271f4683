"""The command-line surface (Typer + Rich)."""
