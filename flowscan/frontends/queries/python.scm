; Cheap facts read in C before any lowering: what a file imports, where its comments
; are (inline suppressions) and where tree-sitter had to recover.
(import_statement name: (dotted_name) @import.module)
(import_statement name: (aliased_import name: (dotted_name) @import.module))
(import_from_statement module_name: (_) @import.module)
(comment) @comment
(ERROR) @error
