"""Text analysis of feedback comments: themes, sentiment per theme, language, theme discovery.

Pure Python on spaCy, VADER and scikit-learn; it knows nothing of the web application.
"""

from nlp.analyzer import Analysis, Analyzer, ThemeMention
from nlp.errors import ModelError, NotEnoughLabels
from nlp.model import ThemeModel, load_model
from nlp.taxonomy import OTHER, Span, Taxonomy, TaxonomyError, Theme, default_taxonomy

__all__ = [
    "OTHER",
    "Analysis",
    "Analyzer",
    "ModelError",
    "NotEnoughLabels",
    "Span",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "ThemeMention",
    "ThemeModel",
    "default_taxonomy",
    "load_model",
]
