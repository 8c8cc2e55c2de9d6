; Cheap facts read in C before any lowering: what a file imports, where its comments
; are (inline suppressions) and where tree-sitter had to recover.
(import_statement name: (dotted_name) @import.module)
(import_statement name: (aliased_import name: (dotted_name) @import.module))
(import_from_statement module_name: (_) @import.module)
; `from pkg import mod`: pkg.mod too, for namespace packages (no __init__.py)
(import_from_statement module_name: (_) @import.module name: (dotted_name) @import.name)
(import_from_statement module_name: (_) @import.module
  name: (aliased_import name: (dotted_name) @import.name))
(comment) @comment
(ERROR) @error
