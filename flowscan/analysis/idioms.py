"""What calls into code flowscan does not read do to values: builtins, containers,
array callbacks, form state, ORM queries, model records and getters (mixed into
`Calls`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.common import (
    PROVIDED,
    FrameParts,
    expr_text,
    is_project_key,
    last_name,
    provide_key,
)
from flowscan.analysis.http import http_call, is_request, request_base
from flowscan.analysis.values import (
    CLEAN,
    EMPTY,
    Source,
    Val,
    flatten,
    is_answer,
    join,
    join_all,
    taint_only,
)

# fresh ids: `anonymousId: randomUUID()` names no one, but `customerId = randomUUID()`,
# kept and sent as that customer's id, is a user id (frame.py: fresh_id)
FRESH_IDS = {"uuid4", "uuid1", "uuidv4", "v4", "randomUUID", "nanoid", "cuid", "createId",
             "ulid"}
NO_PROPAGATION = FRESH_IDS | {  # calls whose result says something about a value, never it
    "len", "bool", "isinstance", "issubclass", "hasattr", "callable", "id", "type", "count",
    "index", "startswith", "endswith", "isdigit", "isalpha", "exists", "includes", "indexOf",
    "test", "has", "Boolean", "isArray", "print", "sleep", "setTimeout", "setInterval",
    "range", "any", "all", "sum", "mean", "fmean", "median", "stdev", "pstdev", "variance",
    "average", "isNaN", "match", "search", "fullmatch", "keys",
    "countDocuments", "estimatedDocumentCount", "count_documents", "countBy", "exist",
    "$count",  # Drizzle: db.$count(orders, eq(orders.treeId, id))
    "urandom", "random", "randint", "getrandbits", "now", "utcnow",  # fresh values
}  # (secrets.token_urlsafe() is not here: a reset_token it makes is a person's secret)
PROMISED = {"Promise.all", "Promise.any", "Promise.race"}  # (not Python's all() and any())
# a database query's rows are the records it finds, not the values it filtered by:
# `db.fetchrow(sql, user_id)` returns a row whose fields classify by their own names
QUERY_METHODS = {
    "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany", "findOne", "findMany",
    "findFirst", "findUnique", "findFirstOrThrow", "findUniqueOrThrow", "findAll",
    "findById", "findByPk", "findOneBy",
    "findOneByOrFail", "findOneOrFail", "findBy", "findOrFail", "findOneAndUpdate",
    "findByIdAndUpdate", "get_object_or_404", "scalar_one",
    "scalar_one_or_none", "scalars", "query_one", "query_all", "sql", "query",
    "fetch_one", "fetch_all", "fetch_val",  # encode/databases
}  # (sql`select ... where token = ${token}`: a tagged template is a call of its tag)
SQL = re.compile(r"\s*(select|insert|update|delete|with)\b", re.IGNORECASE)
ORM_GETTERS = {"get", "get_or_404", "load"}  # session.get(Model, pk), db.get_or_404(...)
# what Model.query.<filters>.<answer>() and Model.objects.<filters>.<answer>() give: the
# model's records
COLUMN_QUERIES = {"select", "query", "with_entities", "add_columns"}  # SQLAlchemy columns
QUERY_ANSWERS = {"get", "get_or_404", "first", "first_or_404", "one", "one_or_none", "all",
                 "one_or_404", "last", "latest", "earliest", "create", "filter", "exclude",
                 "order_by", "select_related", "prefetch_related", "distinct"}
MODEL_FACTORIES = {"create", "build", "findOrCreate", "upsert", "insertOne"}  # Model.create(data)
QUERY_REFINERS = {"populate", "lean", "exec", "orFail"}  # Mongoose: a query of the same model
ENTITY_WRITERS = {"save", "create"}  # repo.save(entity), repo.create(plain): the entity
QUERY_OPTIONS = {"data", "where", "include", "select", "values", "fields"}
REPOSITORIES = {"getRepository", "getMongoRepository", "getTreeRepository"}  # TypeORM
MAX_ELEMENTS = 32  # items a list built by append() keeps apart; past that they merge
KEYED_SETTERS = {"set", "append"}  # form.set(key, value), formData.append(key, value)
MUTATORS = {"update", "setdefault", "append", "extend", "push", "add", "insert", "unshift"}
COPIERS = {"copy", "dict", "deepcopy", "toJSON", "toObject", "to_dict", "model_dump", "dict_",
           "items", "values", "entries", "clone", "structuredClone"}  # (toObject: Mongoose)
ITERATORS = {"map", "flatMap", "forEach", "filter", "find", "findLast", "some", "every",
             "findIndex", "sort", "toSorted", "reduce", "reduceRight"}  # array methods
# that call back per element (reduce's callback gets an element as its second argument)
SAME_CONTENTS = {  # calls (a builtin, or a method of a JS global) that return what their
    None: {"list", "tuple", "set", "frozenset", "sorted", "reversed", "asdict", "astuple",
           "vars"},                                                     # first argument
    "dataclasses": {"asdict", "astuple"},
    "Array": {"from"},                                                  # holds
    "Object": {"entries", "values", "fromEntries", "freeze"},
}
# copies of their first argument, keyword -> include/exclude (Django's forms.models)
COPIERS_OF_ARGUMENT = {"model_to_dict": {"fields": "include", "exclude": "exclude"}}
KEY_ITERATORS = {"list", "tuple", "set", "frozenset", "sorted"}  # of a dict: its keys
VALUE_HOOKS = {"useMemo"}  # the value the factory returns, not the factory
REF_HOOKS = {"computed"}  # Vue: a ref whose `.value` is what the getter returns
STATE_HOOKS = {"useState", "reactive", "ref"}  # form state (React, Vue)
PREDICATES = {"startsWith", "endsWith", "startswith", "endswith", "includes", "isdigit",
              "isalpha", "isalnum", "isnumeric", "isdecimal", "isupper", "islower",
              "isspace", "isEmpty", "isBlank"}  # methods that answer yes or no
# a schema's checked copy of its input, inside a result object: zod's
# `schema.safeParse(x).data`, valibot's `v.safeParse(Schema, x).output`
CHECKED_RESULTS = {"safeParse": "data", "safeParseAsync": "data", "spa": "data"}
MASK_CHARACTERS = frozenset("•●·*xX#")


def masks(e: ir.Call, name: str, recv: Val | None) -> bool:
    r"""A pattern (not a value) replaced by mask characters throughout a text:
    `phone.replace(/\d(?=\d{2})/g, "•")`, `re.sub(r"\d(?=\d{2})", "*", phone)`."""
    replaced = (name in ("replace", "replaceAll") and recv is not None and len(e.args) >= 2) \
        or (name == "sub" and expr_text(e.func) in ("re.sub", "regex.sub") and len(e.args) >= 3)
    if not replaced:
        return False
    pattern, mask = e.args[0], e.args[1]
    return isinstance(mask, ir.Str) and bool(mask.value) \
        and set(mask.value) <= MASK_CHARACTERS and isinstance(pattern, ir.Str | ir.Lit)


TEXT_METHODS = {"format", "format_map", "replace", "replaceAll", "strip", "rstrip", "trim",
                "concat", "toString"}  # a URL template filled in is still that URL
# methods only text has: called on a value that also holds an SDK path (a parameter some
# caller passed `await redis.get(key)`), they are the text's, not calls of that SDK
STRING_METHODS = frozenset({
    "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "toLocaleLowerCase",
    "toLocaleUpperCase", "replace", "replaceAll", "padStart", "padEnd", "normalize",
    "charAt", "substring", "substr", "strip", "lstrip", "rstrip", "lower", "upper",
    "casefold", "capitalize", "title", "swapcase", "zfill", "removeprefix", "removesuffix"})
# library calls that answer the value they are given in another form: its parts are
# still its parts (`date.fromisoformat(form["date_of_birth"]).year`)
CONVERTERS = {"fromisoformat", "strptime", "fromtimestamp", "parse_date", "parse_datetime",
              "to_datetime", "parseISO", "fromISO", "fromJSDate", "dayjs", "moment", "Date",
              "Decimal", "int", "float", "str", "Number", "String", "parseInt", "parseFloat",
              # and methods that answer their receiver so: `...strptime(dob, fmt).date()`
              "date", "toDate", "isoformat", "toISOString", "astimezone", "toJSDate",
              "toLocaleDateString", "toDateString"}


class Idioms(FrameParts):
    if TYPE_CHECKING:
        selected: set[Any]
        mutated: set[str]

        def item(self, v: Val, index: str | None) -> Val: ...
        def mutate_global(self, name: str, delta: Val) -> bool: ...
        def root_local(self, e: ir.Expr) -> str | None: ...

    def unknown_call(self, e: ir.Call, func: Val, args: list[Val],
                     kwargs: list[tuple[str, Val]]) -> Val:
        name = last_name(e.func)
        if isinstance(e.func, ir.Attr) and args and args[0].text and (
                "://" in args[0].text or request_base(args[1:]) is not None):
            http = http_call(self.prog, self, e, expr_text(e.func), args, kwargs,
                             any_client=True)  # ctx["http"].post(VENDOR_URL, ...), and
            # this.http.post('/contacts', body, {baseURL: VENDOR_URL})
            if http is not None:
                return http
        if name in COLUMN_QUERIES and self.module.language == "python":
            columns = self.model_columns(e)  # select(Patient.phone): the patients' phones
            if columns is not None:
                return columns
        if name == "partial" and args and any(vendor for vendor, _ in args[0].refs):
            return Val(refs=frozenset(r for r in args[0].refs if r[0]))  # track = partial(
            # mp.track, event_name="signup"): calling it calls the SDK (arguments it binds
            # are not kept; project functions go through `funcs` below)
        if name == "inject" and args and args[0].classes and self.module.language != "python":
            return Val(insts=args[0].classes)  # Angular: inject(MonitoringService)
        if name in ("provide", "inject") and e.args and self.module.language != "python" \
                and (key := provide_key(e.args[0])) is not None:  # Vue's provide/inject:
            if name == "provide" and len(args) >= 2:  # app.provide(PostHogKey, posthog)
                self.prog.set_class_attr(PROVIDED, key, args[1])
                return CLEAN
            if name == "inject":  # inject(PostHogKey) in a composable, in another file
                found = self.prog.class_attr(PROVIDED, key, self.unit)
                if found is not None:
                    return join(found, args[1]) if len(args) > 1 else found
        if name == "useState" and e.args and isinstance(e.args[0], ir.Str) \
                and self.module.language != "python":  # Nuxt: useState<T>('key', init) is a
            declared = frozenset().union(*(self.lookup(t, e.pos).classes for t in e.types))
            return Val(fields={"value": Val(insts=declared)})  # ref shared by its key
        if name in STATE_HOOKS and e.args and (isinstance(e.args[0], ir.Obj) or (
                args and args[0].fields and not e.types)):  # useState(EMPTY_FORM) too
            init = e.args[0] if isinstance(e.args[0], ir.Obj) else ir.Obj(())
            state = self.form_state(init, args[0], e.pos, e.types[0] if e.types else None)
            return Val(fields={"0": state, "1": EMPTY}) if name == "useState" else state
        if name == "useState" and e.types:  # useState<ShippingAddress | null>(null)
            declared = self.lookup(e.types[0], e.pos)  # (an initial value's empty strings
            init = args[0] if args else EMPTY           # are placeholders, as in form_state)
            state = Val(init.labels, insts=declared.classes | init.insts)
            return Val(fields={"0": state, "1": EMPTY})
        if name in QUERY_METHODS or (name == "fetch" and isinstance(e.func, ir.Attr)) or (
                name == "execute" and e.args and isinstance(e.args[0], ir.Str)
                and SQL.match(e.args[0].value)) or (  # db.execute("INSERT ... RETURNING id")
                name in ORM_GETTERS and isinstance(e.func, ir.Attr) and len(args) >= 2
                and args[0].classes):  # session.get(TreatmentCycle, cycle_id)
            # get_object_or_404(Prescription, pk=...): a record of the model it names;
            # Translator.findById(id) (Mongoose, Sequelize), repo.findOneOrFail() of a
            # TypeORM repository: a record of the receiver's model
            models = frozenset().union(*(a.classes for a in args))
            owner = self.receiver_value(e.func.obj) if isinstance(e.func, ir.Attr) else None
            if owner is not None and not owner.fields:
                models |= owner.classes | owner.insts
            columns = frozenset(lab for a in args for lab in a.labels if lab in self.selected)
            return Val(columns, {} if columns else None, insts=models)  # db.scalars(select(
            # Patient.phone).where(...)): the phones
        if name in QUERY_ANSWERS and isinstance(e.func, ir.Attr):
            models = self.queried_model(e.func.obj)  # FuneralHome.query.get_or_404(id),
            if models:  # Member.query.filter_by(email=e).first() (Flask-SQLAlchemy)
                return Val(insts=models)
        if name in ("update", "delete") and isinstance(e.func, ir.Attr) and args:
            models = self.receiver_value(e.func.obj).classes & frozenset(
                self.prog.orm_models.values())  # prisma.customer.update(...): the record
            if models:
                return Val(insts=models)
        if name in MODEL_FACTORIES and isinstance(e.func, ir.Attr) and args:
            owner = self.receiver_value(e.func.obj)  # Translator.create(req.body): a
            if owner.classes and not owner.fields:  # record of that model (Mongoose,
                return join(Val(insts=owner.classes), args[0])  # Sequelize, ActiveRecord)
        if name in ENTITY_WRITERS and isinstance(e.func, ir.Attr) and len(args) == 1 \
                and not kwargs and args[0].fields and not QUERY_OPTIONS & set(args[0].fields):
            return args[0]  # this.accounts.save(this.accounts.create({...})): the entity
            # it is given, field by field (not Prisma's create({ data, include }))
        if name in REPOSITORIES and args and args[0].classes:  # getRepository(Guardian):
            return Val(insts=args[0].classes)  # stands for its model (find* answers one)
        if name in ("get", "getenv") and len(args) >= 2 and args[1].text \
                and "://" in args[1].text:  # os.environ.get("BRAZE_URL", "https://...")
            return Val(text=args[1].text)
        if name == "dict" and isinstance(e.func, ir.Name) and "dict" not in self.env \
                and kwargs and all(k != "**" for k, _ in kwargs) and len(args) <= 1:
            base = dict(args[0].fields or {}) if args else {}  # dict(user_id=..., event=...)
            fields = {**base, **{k: self.named_by_key(k, v, x) for (k, x), (_, v)  # a record
                                 in zip(e.kwargs, kwargs, strict=False)}}
            return Val(args[0].labels if args and args[0].fields is None else frozenset(),
                       fields)
        if name in CHECKED_RESULTS and self.module.language != "python" and args:
            if isinstance(e.func, ir.Attr) and len(args) == 1:
                return Val(fields={CHECKED_RESULTS[name]: args[0], "success": CLEAN,
                                   "error": CLEAN})
            if len(args) == 2:  # valibot: safeParse(Schema, input)
                return Val(fields={"output": args[1], "success": CLEAN, "issues": CLEAN})
        getter = self.getter_source(e, name) if not args and not kwargs else None
        if getter is not None:
            return Val(frozenset({getter}))
        if self.prog.tax.is_sanitiser(name) or (name == ir.MASKED_PART
                                                and isinstance(e.func, ir.Name)):
            return CLEAN  # (a part that identifies no one: frontends/base.py)
        if isinstance(e.func, ir.Attr) and f"Promise.{name}" in PROMISED and args \
                and last_name(e.func.obj) == "Promise" and self.module.language != "python":
            # const [from, to] = await Promise.all([Station.findById(a), ...]): the answers
            return args[0] if name == "all" else join_all([*(args[0].fields or {}).values(),
                                                           taint_only(args[0])])
        if name in NO_PROPAGATION:
            return CLEAN
        recv_expr = e.func.obj if isinstance(e.func, ir.Attr) else None
        recv = self.receiver_value(recv_expr) if recv_expr is not None else None
        if name in QUERY_REFINERS and recv is not None and recv.insts and not recv.fields:
            return recv  # FitNote.findById(id).populate('employee'): still a FitNote
        if recv is not None and recv_expr is not None and not args \
                and name.startswith("get_") and name.endswith("_display") \
                and len(name) > 12 and self.module.language == "python":
            return self.attr(recv, name[4:-8], recv_expr, e.pos)  # Django's
            # survey.get_kind_display(): the label of that field's choice, no other field
        if recv is not None and name in ("get", "getattr") and args:
            key = e.args[0]
            if isinstance(key, ir.Str):
                return self.attr(recv, key.value, recv_expr, e.pos, key=True)
        if recv_expr is None and name == "getattr" and len(e.args) >= 2 \
                and isinstance(e.args[1], ir.Str) and "getattr" not in self.env:
            return join(self.attr(args[0], e.args[1].value, e.args[0], e.pos),  # builtin
                        args[2] if len(args) > 2 else EMPTY)
        if recv is not None and name in MUTATORS and isinstance(recv_expr, ir.Name) \
                and recv_expr.id not in self.env and args:  # HANDLERS.append(fn) in a function
            delta = join_all([Val(fields=dict(a.fields)) if name == "update" and a.fields
                              else Val(fields={"*": a}) for a in args[-1:]])
            if self.mutate_global(recv_expr.id, delta):
                return CLEAN
        keyed = name in KEYED_SETTERS and len(args) == 2 and isinstance(e.args[0], ir.Str)
        local = isinstance(recv_expr, ir.Name) and (recv_expr.id in self.env or (
            (keyed or name in MUTATORS) and self.adopt_captured(recv_expr.id)))
        if recv is not None and (keyed or name in MUTATORS) and (local or (
                isinstance(recv_expr, ir.Attr | ir.Index) and self.root_local(recv_expr))):
            assert recv_expr is not None  # payload.messages.push(m), form.set("To", phone)
            merged = self.env[recv_expr.id] if isinstance(recv_expr, ir.Name) else recv
            if keyed:  # a URLSearchParams, FormData, Map or Headers holds it under its key
                key = e.args[0].value  # type: ignore[union-attr]
                value = self.named_by_key(key, args[1], e.args[1])
                if merged.fields is not None and len(merged.fields) < MAX_ELEMENTS:
                    merged = Val(merged.labels, {**merged.fields, key: join(
                        merged.fields.get(key, EMPTY), value)}, merged.refs, merged.funcs)
                else:
                    merged = join(merged, taint_only(value))
            for a in [*args, *(v for _, v in kwargs)] if not keyed else ():
                if name in ("update", "setdefault") and a.fields:  # dict.update({...})
                    merged = Val(merged.labels, {**(merged.fields or {}), **a.fields},
                                 merged.refs, merged.funcs)
                elif name != "update" and merged.fields is not None \
                        and len(merged.fields) < MAX_ELEMENTS:  # list.append(x): one more
                    items = list(a.fields.values()) if name == "extend" and a.fields \
                        else [a]
                    fields = dict(merged.fields)
                    for item in items[: MAX_ELEMENTS - len(fields)]:
                        fields[str(len(fields))] = item
                    merged = Val(merged.labels, fields, merged.refs, merged.funcs)
                else:
                    merged = join(merged, taint_only(a))
            if isinstance(recv_expr, ir.Name):
                self.env[recv_expr.id] = merged
                self.mutated.add(recv_expr.id)
            else:
                self.assign(recv_expr, merged, False)
            return CLEAN
        if recv is not None and recv_expr is not None and name in ITERATORS \
                and any(a.funcs for a in args):
            return self.iterate(e, name, recv, recv_expr, args)
        if name == "then" and recv is not None and recv_expr is not None and args \
                and args[0].funcs and self.module.language != "python":
            # api.trainer(slug).then(t => ...): the callback gets the answer
            return self.call_back(e, 0, args[0], [(recv, recv_expr)])
        if name == "assign" and isinstance(e.func, ir.Attr) and last_name(e.func.obj) == "Object" \
                and args:
            merged = args[0]
            for a in args[1:]:  # (the target stays an instance of its model)
                merged = Val(merged.labels | a.labels, {**(merged.fields or {}),
                                                         **(a.fields or {})},
                             insts=args[0].insts)
            target = e.args[0]
            if isinstance(target, ir.Name) and target.id in self.env:
                self.env[target.id] = merged
            return merged
        holder = None if recv_expr is None else (  # a builtin, or Array./Object. methods
            recv_expr.id if isinstance(recv_expr, ir.Name) else "")
        if len(args) == 1 and name in KEY_ITERATORS and holder is None and name not in self.env \
                and self.module.language == "python" and args[0].fields and not args[0].insts \
                and all(not k.isdigit() and k != "*" for k in args[0].fields):
            return CLEAN  # sorted(changes) of a dict: its keys, the names of its fields
        if len(args) == 1 and name in SAME_CONTENTS.get(holder, ()) and name not in self.env:
            return args[0]  # tuple(adapters), Object.fromEntries(Object.entries(patch))
        if recv is not None and recv_expr is not None and name in ("values_list", "values") \
                and e.args and all(isinstance(a, ir.Str) for a in e.args) \
                and self.module.language == "python":  # Django: the rows hold those columns
            cols = {a.value: self.attr(recv, a.value, recv_expr, e.pos)  # type: ignore[union-attr]
                    for a in e.args}
            flat = name == "values_list" and len(cols) == 1 and any(k == "flat" for k, _ in kwargs)
            row = next(iter(cols.values())) if flat else Val(fields=cols if name == "values" else {
                str(i): v for i, v in enumerate(cols.values())})
            return Val(fields={"*": row})
        if recv is not None and name == "items" and not args and not kwargs \
                and self.module.language == "python":  # (key, value) pairs: the keys are
            fields = self.model_fields(recv, e.pos) if recv.insts and not recv.fields \
                else recv.fields  # the names of the fields, not what they hold
            values = join_all(list(fields.values())) if fields else EMPTY
            if recv.labels:  # a caller's dict that this one added keys to: its own too
                values = join(values, Val(recv.labels))
            return Val(fields={"*": Val(fields={"0": CLEAN, "1": values})})
        selects = COPIERS_OF_ARGUMENT.get(name) if self.module.language == "python" \
            and holder is None and name not in self.env and args else None
        if selects is not None:  # model_to_dict(worker, fields=["email", "phone"])
            recv, name = args[0], "copy"
        if recv is not None and name in COPIERS:
            # body.model_dump(exclude={"password"}), .model_dump(include={"email"})
            as_kw = selects or {}  # model_to_dict's fields= is include=
            named = {as_kw.get(k, k): {
                i.value for i in (v.items if isinstance(v, ir.Seq) else ())
                if isinstance(i, ir.Str)} for k, v in e.kwargs
                if as_kw.get(k, k) in ("include", "exclude")}
            if selects is not None and "include" in named:  # the fields it names, read
                return Val(fields={k: self.attr(recv, k, e.args[0], e.pos)  # on the
                                   for k in sorted(named["include"])})  # instance
            closed = False
            if recv.insts and not recv.fields:  # a model's dump has its fields and no
                fields = self.model_fields(recv, e.pos)  # other key (a `**` of it into
                closed = bool(fields)  # an SDK call passes no first_name it lacks)
            elif recv.fields and named:
                fields = dict(recv.fields)
            else:
                return recv
            if "include" in named:
                fields = {k: v for k, v in fields.items() if k in named["include"]}
            fields = {k: v for k, v in fields.items() if k not in named.get("exclude", ())}
            return Val(recv.labels, fields, closed=closed)
        if recv is not None and name in PREDICATES and isinstance(e.func, ir.Attr) \
                and not any(a.funcs for a in args):
            return CLEAN  # phone.startsWith("07"), email.endswith(".ac.uk"): a yes or no
        if masks(e, name, recv):
            return CLEAN  # phone.replace(/\d(?=\d{2})/g, "•"): every digit but two masked
        parts = [*args, *(v for _, v in kwargs)]
        if name in ("sub", "subn") and len(args) >= 3 \
                and expr_text(e.func) in ("re.sub", "re.subn", "regex.sub", "regex.subn"):
            parts = parts[1:]  # re.sub(re.escape(patient.first_name), "[NAME]", notes):
            # the pattern is what the text no longer holds, as with str.replace below
        if recv is not None:
            parts.append(recv)
            if name in ("replace", "replaceAll") and len(args) >= 2:
                parts = parts[1:]  # notes.replace(patient.first_name, "[REDACTED]"): what
                # is replaced is what the text no longer holds
        if recv is not None and recv.text and name in TEXT_METHODS:  # URL.format(number=n)
            return Val(frozenset().union(*map(flatten, parts)), text=recv.text)
        if (name in VALUE_HOOKS or name in REF_HOOKS) and args and args[0].funcs \
                and self.module.language != "python":  # useMemo(() => ({ track })) is
            out = self.call_back(e, 0, args[0], [])     # what the factory returns
            return Val(fields={"value": out}) if name in REF_HOOKS else out
        labels: set[Any] = set()
        funcs: set[Any] = set()
        for p in parts:
            labels |= flatten(p)
        for p in args:  # useCallback(fn), debounce(fn), memoize(fn) return a caller of fn
            funcs |= p.funcs
        if funcs:
            return Val(frozenset(labels), {} if labels else None, funcs=frozenset(funcs))
        if name == "URL" and isinstance(e.func, ir.Name) and "URL" not in self.env \
                and args and self.module.language != "python":  # new URL(path, base): a
            text = args[0].text if args[0].text and "://" in args[0].text else (  # URL on
                args[1].text if len(args) > 1 else None)  # its host, its query set later
            return Val(frozenset(labels), {"searchParams": Val(fields={})}, text=text)
        if recv is not None and recv.clean and not labels and not funcs \
                and not (recv.fields or recv.refs or recv.insts):
            return CLEAN  # hashed.slice(0, 12): a method of a clean value, given nothing
        given = args[0] if args else recv  # (a method's value is its receiver)
        if name in CONVERTERS and given is not None and name not in self.env \
                and not given.fields and not given.insts:
            return Val(frozenset(labels))  # a birth date parsed: its year is the person's
        if is_request(expr_text(e.func)):  # fetch(signedUrl): the response holds what
            return EMPTY  # the server sent, not the key or the data that fetched it
        if recv is not None and recv.labels and any(
                not vendor and is_request(path.removesuffix("()")) for vendor, path in recv.refs):
            answer = frozenset(lab for lab in recv.labels if is_answer(lab))
            if answer:  # res.json() of what a vendor answered (http.py: send, a geocoder's
                return Val(answer)  # coordinates): its parts are that answer (own_attr)
        # An opaque result that holds the data: passed on whole it is personal, but its
        # attributes are not (User(email=e).plan is not an email)
        return Val(frozenset(labels), {}) if labels else EMPTY

    def queried_model(self, chain: ir.Expr) -> frozenset[str]:
        """The model classes a query chain starts from: Flask-SQLAlchemy's `Model.query`
        or Django's `Model.objects`, then any filters (`.filter_by(...)`,
        `.select_related(...)`)."""
        while isinstance(chain, ir.Call) and isinstance(chain.func, ir.Attr):
            chain = chain.func.obj
        if isinstance(chain, ir.Attr) and chain.name in ("query", "objects") \
                and isinstance(chain.obj, ir.Name):
            return self.lookup(chain.obj.id, chain.obj.pos).classes
        if isinstance(chain, ir.Attr):  # patient.results.order_by(...): a Django reverse
            owner = self.receiver_value(chain.obj)  # relation's manager (classes.py)
            relations = self.prog.reverse_relations() if owner.insts else {}
            return frozenset(found[0] for cid in owner.insts if cid in self.prog.classes and (
                found := relations.get((self.prog.classes[cid][0].name, chain.name)))
                and not found[1])  # (a OneToOneField's is one record, not a manager)
        return frozenset()

    def call_back(self, e: ir.Call, i: int, fn: Val, given: list[tuple[Val, ir.Expr]]) -> Val:
        """Run the project functions argument `i` of `e` may be, as the library calls
        them back with `given` (each value with the expression it stands for); what
        they return."""
        call = ir.Call(e.args[i], tuple(x for _, x in given), (), e.pos)
        out = EMPTY
        for fid, _ in sorted(fn.funcs, key=lambda f: f[0]):
            out = join(out, self.apply(call, fid, None, [v for v, _ in given], []))
        return out

    def iterate(self, e: ir.Call, name: str, recv: Val, recv_expr: ir.Expr, args: list[Val]
                ) -> Val:
        """`children.map(c => c.firstName)`: the callback runs on an element, and what
        it returns is what the new list holds; `filter`/`find` keep elements."""
        element = self.item(recv, None)
        if recv.insts and not element.insts:  # `children: Child[]`: its elements are Childs
            element = join(element, Val(insts=recv.insts))
        reduce = name.startswith("reduce")
        given = [(element, recv_expr)]
        if reduce:  # (accumulator, element)
            given.insert(0, (args[1] if len(args) > 1 else EMPTY, recv_expr))
        out = EMPTY
        for i, a in enumerate(args):
            out = join(out, self.call_back(e, i, a, given))
        if reduce and len(args) > 1:
            out = join(out, args[1])  # the initial value, when nothing is added to it
        if name in ("filter", "sort", "toSorted"):
            return recv
        if name in ("find", "findLast"):
            return element
        if name in ("forEach", "some", "every", "findIndex"):
            return CLEAN
        labels = flatten(out)
        return Val(labels, {}) if labels else EMPTY

    def form_state(self, init: ir.Obj, v: Val, pos: ir.Pos, context: str | None = None
                   ) -> Val:
        """useState({email: '', name: ''}): the empty strings are placeholders for what
        the person types; the keys say what that is (and `useState<Buyer>`, whose)."""
        if v.fields is None:
            return v
        fields = dict(v.fields)
        literal = {key: value for key, value in init.entries
                   if isinstance(key, str) and isinstance(value, ir.Str | ir.Lit)}
        for key, value in init.entries:  # emergencyContact: {name: '', phone: ''}
            if isinstance(key, str) and isinstance(value, ir.Obj) and key in fields:
                fields[key] = self.form_state(value, fields[key], pos)  # (its own context)
        for key, value in list(fields.items()):  # `...EMPTY_FORM` spreads placeholders too
            if (key in literal or (value.clean and not (value.labels or value.fields
                                                         or value.refs))) \
                    and not is_project_key(key):
                c = self.prog.tax.classify(key, context)
                del fields[key]  # form.city: classified where it is read, in its context
                if c is not None:
                    at = getattr(literal.get(key), "pos", None) or pos
                    fields[key] = Val(frozenset({Source(
                        c.category, key, self.span(at), c.pattern, c.context or "")}))
        return Val(v.labels, fields)

    def model_columns(self, e: ir.Call) -> Val | None:
        """`select(Patient.phone)`, `session.query(User.email, User.id)`: the rows hold
        those columns of the model, personal as the model's fields are (None when no
        argument is a column of a project model)."""
        picked: list[Val] = []
        for x in e.args:
            if not isinstance(x, ir.Attr):
                continue
            owner = self.expr(x.obj)
            if owner.classes and not owner.insts:
                fields = self.model_fields(Val(insts=owner.classes), x.pos)
                picked.append(fields.get(x.name, CLEAN))
        if not picked:
            return None
        labels = frozenset().union(*(flatten(v) for v in picked))
        self.selected |= labels  # what the query's rows hold, not what it filters by
        return Val(labels, {})

    def model_fields(self, v: Val, pos: ir.Pos | None) -> dict[str, Val]:
        """The personal fields a model class declares (Pydantic, dataclass, Django,
        TypeORM entity, DTO), for an instance passed on whole or spread."""
        out: dict[str, Val] = {}
        span = self.span(pos) if pos is not None else self.span((1, 1, 1, 1))
        todo, seen = sorted(v.insts), set()
        while todo:  # the class and its project bases (class Owner(OwnerCreate))
            cid = todo.pop(0)
            entry = self.prog.classes.get(cid)
            if entry is None or cid in seen or len(seen) > 8:
                continue
            seen.add(cid)
            base = self.prog.class_bases.get(cid)
            todo.extend(sorted(base.classes) if base is not None else ())
            cls = entry[0]
            person = self.prog.person_class(cid)
            for name in cls.fields:
                c = self.prog.tax.classify(name, cls.name)
                if c is None and person and not self.prog.tax.vetoed_on(name, cls.name):
                    c = self.prog.tax.classify(name, "person")
                if c is not None and name not in out:
                    src = Source(c.category, f"{cls.name}.{name}", span, c.pattern,
                                 c.context or "")
                    out[name] = Val(frozenset({src}))
        return out

    def getter_source(self, e: ir.Call, name: str) -> Source | None:
        """`user.get_full_name()`, `recipient.name()`, `user.getEmail()`: a getter
        returns the field it is named after; a getter whose whole name says what it
        returns returns that (SvelteKit's `getClientAddress()`, also destructured)."""
        found = self.field_getter(e, name) if isinstance(e.func, ir.Attr) else None
        if found is None and name.startswith("get") \
                and (whole := self.prog.tax.classify(name)) is not None \
                and not whole.contextual and whole.category != "credentials":
            return Source(whole.category, f"{expr_text(e.func)}()", self.span(e.pos),
                          whole.pattern)
        return found

    def field_getter(self, e: ir.Call, name: str) -> Source | None:
        assert isinstance(e.func, ir.Attr)
        field_name = name
        for prefix in ("get_", "get"):
            if name.startswith(prefix) and len(name) > len(prefix) and (
                    prefix == "get_" or name[len(prefix)].isupper()):
                field_name = name[len(prefix):]
                break
        ctx = self.context_of(e.func.obj)
        c = self.prog.tax.classify(field_name, ctx or None)
        if c is None or (field_name == name and not c.contextual):
            return None  # a bare verb-less name must be a person's field (user.name())
        text = f"{expr_text(e.func.obj)}.{name}()"
        return Source(c.category, text, self.span(e.pos), c.pattern, c.context or "")
