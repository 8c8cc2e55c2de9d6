; Shared by JavaScript, TypeScript and TSX: the TS grammars extend the JS one.
; (What a file imports is read from its import keywords: frontends/js_imports.py.)
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
