"""Reports: typed document models (memo, trend), the one number formatter, charts, Jinja2 rendering."""
