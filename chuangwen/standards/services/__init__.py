"""The standards domain: import/export, validation, versions, freezing (see docs/standards.md)."""

from chuangwen.standards.exceptions import (
    Problem,
    StandardFrozen,
    StandardImportError,
    StandardValidationError,
)
from chuangwen.standards.services.documents import standard_document
from chuangwen.standards.services.exchange import (
    export_standard_xlsx,
    export_standard_yaml,
    import_standard_document,
    import_standard_xlsx,
    import_standard_yaml,
)
from chuangwen.standards.services.validation import DEFAULT_PARAMETERS
from chuangwen.standards.services.versions import (
    DEFAULT_STANDARD_CODE,
    activate,
    derive_new_version,
    freeze,
    load_default_standard,
    next_version,
    update_check_item,
    update_parameters,
    update_site_type,
)

__all__ = [
    "DEFAULT_PARAMETERS",
    "DEFAULT_STANDARD_CODE",
    "Problem",
    "StandardFrozen",
    "StandardImportError",
    "StandardValidationError",
    "activate",
    "derive_new_version",
    "export_standard_xlsx",
    "export_standard_yaml",
    "freeze",
    "import_standard_document",
    "import_standard_xlsx",
    "import_standard_yaml",
    "load_default_standard",
    "next_version",
    "standard_document",
    "update_check_item",
    "update_parameters",
    "update_site_type",
]
