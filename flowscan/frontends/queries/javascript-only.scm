; Plain JavaScript's parameters (TypeScript wraps them: see typescript.scm).
(formal_parameters (identifier) @declared)
(formal_parameters (assignment_pattern left: (identifier) @declared))
