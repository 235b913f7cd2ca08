"""The domain: rules over repository results. No Typer, no rich, no SQL."""
