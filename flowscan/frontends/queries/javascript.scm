; Shared by JavaScript, TypeScript and TSX: the TS grammars extend the JS one.
(import_statement source: (string (string_fragment) @import.module))
(export_statement source: (string (string_fragment) @import.module))
(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string (string_fragment) @import.module))
  (#eq? @_require "require"))
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.module)))
(comment) @comment
(ERROR) @error
; Names a file reads: a vendor global in a comment or a string is none.
(identifier) @identifier
; Names a file binds itself: a vendor global (`amplitude`, `branch`, `heap`) that is
; one of them is a variable of this file, not the vendor's snippet.
(variable_declarator name: (identifier) @declared)
(function_declaration name: (identifier) @declared)
(class_declaration name: (_) @declared)
(arrow_function parameter: (identifier) @declared)
(import_clause (identifier) @declared)
(import_specifier alias: (identifier) @declared)
(import_specifier name: (identifier) @declared)
(namespace_import (identifier) @declared)
