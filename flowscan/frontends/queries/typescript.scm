; TypeScript adds `import x = require('y')` to what javascript.scm reads.
(import_require_clause source: (string (string_fragment) @import.module))
(required_parameter pattern: (identifier) @declared)
(optional_parameter pattern: (identifier) @declared)
