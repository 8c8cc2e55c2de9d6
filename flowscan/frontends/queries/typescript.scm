; TypeScript's parameters wrap their names (plain JavaScript's: javascript-only.scm).
(required_parameter pattern: (identifier) @declared)
(optional_parameter pattern: (identifier) @declared)
