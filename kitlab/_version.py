# The one Python-side version; package.json and src/_version.ts must match (tests enforce it).
__version__ = "0.1.0"
