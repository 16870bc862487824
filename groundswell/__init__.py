"""Groundswell: public-opinion monitoring and response desk."""

__version__ = "0.1.0"
USER_AGENT = (
    f"Groundswell/{__version__} "
    "(+https://github.com/groundswell-desk/groundswell; public-opinion monitor)"
)
