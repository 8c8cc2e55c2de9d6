"""Reading a value's fields: what `obj.name` holds and whose it is (the object it is
read from, its class, the person evidence in the unit), literal objects whose keys name
what they hold, and the per-request state a middleware fills. A mixin of Frame."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.common import (
    REQUEST_STATE,
    FrameParts,
    expr_text,
    is_configuration,
    key_meaning,
    last_name,
    orm_client,
    request_state_key,
)
from flowscan.analysis.idioms import COPIERS
from flowscan.analysis.values import (
    ANSWER_META,
    CLEAN,
    EMPTY,
    ParamLabel,
    Source,
    Val,
    client_like,
    flatten,
    is_answer,
    join,
)
from flowscan.analysis.walk import CONTACT_DATA, STRONG_MARK, object_key
from flowscan.taxonomy import Classification, normalise

MEASURES = {"length", "size"}
ROUTE_HOLDERS = {"query", "params"}  # req.query, router.query, params, event.params
UPLOADS = {"files", "FILES", "file"}  # request.files["photo"] (Flask), request.FILES
# (Django), req.file (multer)
OWN_ACCOUNTS = {"accounts", "account", "profiles"}  # in an API's path: the caller's own
# segments of an SDK's paths that name no collection: HubSpot's
# `crm.contacts.basic_api.create()` creates a contact
API_SEGMENTS = {"basic_api", "basicApi", "batch_api", "batchApi", "api", "v1", "v2", "v3"}
JARS = {"cookies", "COOKIES"}  # a named cookie is that cookie (`cookies.plan`), not the jar


# Django request dictionaries: they hold submitted fields, and are no context of them
QUERY_DICTS = frozenset({"POST", "GET", "FILES", "COOKIES"})


TYPE_SUFFIXES = frozenset({"schema", "type", "types", "props", "input", "shape", "model",
                           "entity", "record", "row", "data", "dto", "interface", "attributes",
                           "attrs", "payload", "item", "doc", "document"})


def type_owner(declared: str) -> str:
    """Whose a declared type is, in words: `TDetectedRecipientSchema` is a detected
    recipient's (a zod schema of one), `BranchRow` a branch's."""
    words = [w for w in normalise(declared).split("_") if w]
    if len(words) > 1 and words[0] in ("t", "i"):  # TypeScript's TFoo, IFoo
        words = words[1:]
    while len(words) > 1 and words[-1] in TYPE_SUFFIXES:
        words.pop()
    return "_".join(words)


def undeclared(cls: ir.Class, name: str) -> bool:
    """A field a closed shape (an interface or a type with no bases and no methods)
    does not declare: `dto.id` of a `PlaceOrderDto` holding a pickup name and a phone
    is none of that person's (it came along from the order the DTO was spread into)."""
    return not cls.bases and not cls.methods and bool(cls.fields) and name not in cls.fields


class Fields(FrameParts):
    if TYPE_CHECKING:
        imports: dict[str, ir.Import]
        class_name: str
        elements: dict[str, str]
        booleans: frozenset[str]
        persons: frozenset[str]

        def own_person_id(self, name: str) -> Classification | None: ...
        def instance_of(self, declared: Val, annotation: str) -> Val: ...

    def person_sibling(self, key: str, t: ir.Target, part: Val) -> Val:
        """`const { name, email, phone } = await req.json()`: beside a person's email or
        phone, a `name` taken out of the same object is that person's."""
        if not isinstance(t, ir.Name) or part.clean or any(
                isinstance(lab, Source) for lab in flatten(part)):
            return part
        c = self.prog.tax.classify(key, "person")
        if c is None or not c.contextual or c.category == "credentials":
            return part
        return join(part, Val(frozenset({Source(c.category, key, self.span(t.pos), c.pattern,
                                                "person")})))

    def boolean_param(self, name: str) -> bool:
        """A parameter declared `bool`/`boolean`: a yes or no, whatever its name."""
        return name in self.booleans

    def typed_not_personal(self, obj: ir.Expr | None, name: str) -> bool:
        """A parameter declared as a place's or a thing's type (`branch: Branch`,
        `shack: Shack`, an element of `rows: Branch[]`) whose field, read on that type,
        is no one's."""
        fn = self.fn
        if fn is None or not isinstance(obj, ir.Name):
            return False
        declared = fn.declared(obj.id) or self.elements.get(obj.id)
        if not declared or not declared.isidentifier():
            return False
        declared = type_owner(declared)
        tax = self.prog.tax
        return tax.is_non_person(declared) and tax.classify(name, declared) is None \
            and tax.classify(name) is not None

    def context_of(self, obj: ir.Expr | None) -> str:
        if obj is None:
            return ""
        while isinstance(obj, ir.Op) and obj.parts:  # (body.get("user") or {}).get("id")
            obj = obj.parts[0]
        if isinstance(obj, ir.Call) and isinstance(obj.func, ir.Attr) and obj.args \
                and obj.func.name in ("get", "getattr") and isinstance(obj.args[0], ir.Str):
            return obj.args[0].value  # body.get("user"): the user
        name = last_name(obj)
        if name in ("self", "this", "cls"):
            return self.class_name
        if name in QUERY_DICTS and isinstance(obj, ir.Attr):
            return ""  # request.POST["code"]: a form field, not a post code
        if isinstance(obj, ir.Call) and isinstance(obj.func, ir.Attr) \
                and obj.func.name in COPIERS:
            return self.context_of(obj.func.obj)  # studio.toObject().phone: the studio's
        if isinstance(obj, ir.Name) and name in self.elements and (
                len(name) <= 2 or self.prog.tax.is_transparent(name)):
            return self.elements[name]  # `d.age for d in tax_return.dependents`
        if isinstance(obj, ir.Attr) and self.prog.tax.is_person_part(name):
            owner = self.context_of(obj.obj)  # org.billingAddress.city: the org's
            if owner:
                return f"{owner}.{name}"
        return name

    def attr(self, v: Val, name: str, obj: ir.Expr | None, pos: ir.Pos | None,
             key: bool = False) -> Val:
        out = self.own_attr(v, name, obj, pos, key)
        if self.request_state(obj, name):  # `getattr(request.state, "patient")`
            shared = self.prog.class_attr(REQUEST_STATE, name, self.unit)  # what a
            if shared is not None:  # middleware put there, anywhere in the project
                out = join(out, shared)
        return out

    def request_state(self, obj: ir.Expr | None, name: str) -> bool:
        imp = self.imports.get("g") if isinstance(obj, ir.Name) and obj.id == "g" \
            and "g" not in self.env else None  # Flask's `g`
        return request_state_key(obj, name, imp is not None and imp.module == "flask")

    def own_attr(self, v: Val, name: str, obj: ir.Expr | None, pos: ir.Pos | None,
                 key: bool = False) -> Val:
        if name == "length" and self.module.language != "python" \
                and "length" not in (v.fields or {}):
            return CLEAN  # guests.filter((g) => g.allergies).length: how many, not who
        model = self.prog.orm_models.get(name)
        if model is not None and obj is not None and orm_client(obj) \
                and not any(vendor for vendor, _ in v.refs):
            return Val(classes=frozenset({model}))  # prisma.weighIn: the WeighIn model
        fallback = EMPTY
        if v.fields is not None and name in v.fields:
            hit = v.fields[name]
            if any(vendor for vendor, _ in v.refs):  # `ok ? new PostHog() : {capture() {}}`
                hit = join(hit, Val(refs=frozenset((vendor, f"{path}.{name}")
                                                   for vendor, path in v.refs if vendor)))
            elif obj is not None and pos is not None and not hit.labels and not hit.fields \
                    and not hit.refs and not hit.funcs and not is_configuration(obj):
                # a person record's id is a user id however it was made (randomUUID())
                c = self.prog.tax.classify(name, self.context_of(obj) or None)
                if c is not None and (c.contextual or c.category == "user_id" or (
                        not v.closed and hit.clean)) and c.category != "credentials":
                    hit = join(hit, Val(frozenset({Source(
                        c.category, f"{expr_text(obj)}.{name}", self.span(pos), c.pattern,
                        c.context or "")})))
            # a project record's field that holds no data source itself (`customer.address
            # ?? {postcode: ''}`, `Applicant(id=str(uuid4()))`, an email read off a
            # vendor's response): the record's class says what it is, as below
            if not (v.insts and not any(isinstance(lab, Source) for lab in hit.labels)
                    and not hit.funcs and not hit.classes
                    and not hit.insts and not hit.fields
                    and (not any(vendor and client_like(path) for vendor, path in hit.refs)
                         or self.prog.tax.classify(name) is not None)):  # (no client: email)
                return hit
            fallback = hit
        vendor = self.prog.named_vendors.get(name.lower().removeprefix("$")) \
            if pos is not None else None
        if vendor is None and name.startswith("$"):  # `$mixpanel`, `$amplitude`: what a Nuxt
            vendor = self.prog.provided_vendors.get(name[1:].lower())  # or Vue plugin
            # provides, also destructured (`const { $amplitude } = useNuxtApp()`), even a
            # vendor whose id is an ordinary word
        if vendor is not None and not (v.insts or v.classes or v.mods or v.funcs or any(
                vnd for vnd, _ in v.refs)) and not is_configuration(obj):
            # req.bugsnag (a middleware's per-request client), ctx["braze"], app.posthog
            # (fastify.decorate): an untyped holder's attribute named after a vendor
            root = self.prog.vendor_root(self.module.language, vendor)
            if root is not None:
                return Val(refs=frozenset({(vendor, root)}))
        out = EMPTY
        # A part of a personal value is personal (birthday.year); a field of an object
        # built from personal data is not (fields is {} for those). A field of a
        # caller's value is whatever the caller's side holds there.
        if name in MEASURES and not key and not v.insts:
            return CLEAN  # email.length: how long it is, not what it says
        if v.fields is None and isinstance(obj, ir.Name) and any(
                isinstance(lab, ParamLabel) for lab in v.labels) \
                and self.typed_not_personal(obj, name):
            v = Val(frozenset(lab for lab in v.labels if not isinstance(lab, ParamLabel)),
                    v.fields, v.refs, v.funcs, v.classes, v.insts, v.mods, v.text, v.clean,
                    v.closed)  # `(branch: Branch) => branch.phone`, whatever the caller
            # passes: the declared type says whose the field is
        if v.fields is None and v.labels:  # a record of a project class (a Prescription)
            out = Val(frozenset(lab.child(name) if isinstance(lab, ParamLabel) else lab
                                for lab in v.labels  # is no scalar: its fields speak
                                if not (isinstance(lab, Source) and (
                                    v.insts or lab.field.rsplit(".", 1)[-1] in JARS))
                                and not (name in ANSWER_META and is_answer(lab))))
        elif v.fields and not v.closed and name not in v.fields:  # params = asdict(sms);
            out = Val(frozenset(lab.child(name) for lab in v.labels  # params["from_"] = ...:
                                if isinstance(lab, ParamLabel)))  # the caller's other keys
        if v.refs:  # (a vendor module's `default`, as `import('posthog-js')` hands it
            refs = frozenset((vendor, path if name == "default" and vendor  # out, is it)
                              and self.module.language != "python" else f"{path}.{name}")
                             for vendor, path in v.refs)
            out = join(out, Val(refs=refs))
        computed = False  # a property's code returned personal data: it says what it is
        for cid in sorted(v.insts):
            found = self.prog.class_attr(cid, name, self.unit)
            declared = self.prog.field_type(cid, name, self.unit)
            typed = self.instance_of(*declared) if declared is not None else EMPTY
            if not typed.is_empty():  # `partner: Learner`, `cio: TrackClient` declared
                out = join(out, typed)  # on the class or interface
                if found is not None and not (found.labels or found.funcs or found.insts
                                              or any(vnd for vnd, _ in found.refs)):
                    continue  # BaseModel().signed_by: the declared type says more
            if found is not None:
                # a method runs on the instances of the classes it was found on: a base
                # method's `self._identify_user(data)` over several wrappers gets each
                # override with its own wrapper (HeapWrapper's self.url is Heap's, not
                # also Mixpanel's)
                recv = v if len(v.insts) == 1 or not found.funcs else Val(
                    v.labels, v.fields, v.refs, v.funcs, v.classes, frozenset({cid}),
                    v.mods, v.text, v.clean, v.closed)
                getters = [fid for fid, _ in sorted(found.funcs, key=lambda f: f[0])
                           if fid in self.prog.functions and self.prog.functions[fid][0].getter]
                if getters and obj is not None:  # @property def cio(self): reading calls it
                    call = ir.Call(ir.Attr(obj, name, pos or ir.NOPOS), (), (), pos or ir.NOPOS)
                    for fid in getters:
                        got = self.apply(call, fid, recv, [], [])
                        computed |= any(isinstance(lab, Source) for lab in got.labels)
                        out = join(out, got)
                    continue
                if found.funcs:
                    found = Val(found.labels, found.fields, found.refs,
                                frozenset((f, recv) for f, _ in found.funcs), found.classes,
                                found.insts, found.mods)
                text = found.text if out.text is None and not out.fields else out.text
                out = join(out, found)
                if text is not None and out.text is None:  # self.TRACK_URL: the class's
                    out = Val(out.labels, out.fields, out.refs, out.funcs,  # constant
                              out.classes, out.insts, out.mods, text, out.clean, out.closed)
        if not v.insts and isinstance(obj, ir.Attr | ir.Name) and last_name(obj) in AUTH_USERS:
            for model in AUTH_USER_MODELS:  # `request.user.patient`: the Patient whose
                related = self.prog.reverse_relations().get((model, name))  # OneToOneField
                if related is not None and related[1]:  # names Django's auth user
                    out = join(out, Val(insts=frozenset({related[0]})))
                    break
        for cid in sorted(v.classes):
            found = self.prog.class_attr(cid, name, self.unit)
            if found is not None:
                out = join(out, found)
        for mod in sorted(v.mods):
            out = join(out, self.prog.module_export(mod, name, self.unit))
        # an SDK object's attributes are its API, except a person it hands back
        # (auth0's useUser().user, a session's user): that one's fields are data
        vendor_object = any(vendor for vendor, _ in v.refs) and not any(
            vendor and self.vendor_person(path) for vendor, path in v.refs)
        constant = not key and name.isupper() and len(name) > 1  # Method.EMAIL, not META[...]
        classifiable = (pos is not None and not vendor_object and not constant
                        and not computed  # (`author_identifier` returns the author's email)
                        and not v.mods and not v.classes and (not v.closed or v.labels)
                        and not is_configuration(obj))
        if classifiable:
            ctx = self.route_owner(obj, name) or self.context_of(obj)
            c = self.prog.tax.classify(name, ctx or None)
            if c is not None and "." not in ctx and (
                    not self.prog.tax.is_person(ctx)
                    or (v.insts and all(map(self.prog.business_class, v.insts)))
            ) and self.disowned(v, name):  # `instance.phone` of an Office, a Contractor
                c = None  # firm's address: its class says whose, not the variable (persons
                # below may still)
            if c is not None and c.contextual and v.insts and self.prog.tax.is_person_part(
                    ctx) and not any(self.prog.person_class(cid) for cid in v.insts):
                c = None  # `home.name` of a FuneralHome: its class says whose, not `home`
            owned = "." in ctx and self.prog.tax.is_non_person(ctx)  # org.billingAddress
            for cid in sorted(v.insts) if c is None and not owned else ():  # a Customer
                entry = self.prog.classes.get(cid)
                if entry is not None:
                    c = self.prog.tax.classify(name, self.owner_word(cid))
                    if c is None and self.prog.person_class(cid) \
                            and not self.prog.tax.vetoed_on(name, entry[0].name) \
                            and not undeclared(entry[0], name):
                        c = self.prog.tax.classify(name, "person")  # Patron {id, email}
                    patients = self.prog.patients_record(cid)
                    if c is None and patients:
                        c = self.prog.tax.classify(name, "patient")  # an Appointment's
                        if c is not None and c.category != "health":  # procedure
                            c = None
                    if c is None and (patients or "patient" in normalise(entry[0].name)):
                        c = self.prog.tax.clinical_measure(name)  # a Patient's hdss_score
                    if c is not None:
                        break
            as_person = c is None
            # the unit's person evidence is a walk over its body: asked only when the
            # field would be a person's
            held = object_key(obj) if c is None and obj is not None else None
            if held is not None and (as_one := self.prog.tax.classify(name, "person")) \
                    is not None and held in self.persons:
                strong = STRONG_MARK + held in self.persons
                if (not self.prog.tax.is_non_person(ctx) or strong) \
                        and not (self.no_person_record(v) and (  # an Office's phone, a Pet's
                            not strong or last_name(obj) in ("self", "this"))):  # own birthday
                    c = as_one
            if c is None and any(vendor and self.vendor_person(path)
                                 for vendor, path in v.refs):
                c = self.prog.tax.classify(name, "person")  # `created.id` of HubSpot's
                # crm.contacts.basic_api.create(): the vendor's id of the person
            if c is None and ctx and self.prog.is_person_noun(ctx.lower(), self.unit):
                c = self.prog.tax.classify(name, "person")  # `tenant.id` where Tenant has a
                # full name and a date of birth: in this project a tenant is a person
            if c is not None and (c.context == "person" or as_person) and (
                    self.prog.tax.vetoed_on(name, ctx) or any(
                        (entry := self.prog.classes.get(cid)) is not None
                        and self.prog.tax.vetoed_on(name, entry[0].name) for cid in v.insts)):
                c = None  # a person, but `worker.region` is where they work, and
                # `enquiry.id` names the enquiry that holds their email, not them
            site = normalise(name).removeprefix("site_") if c is None else ""
            if site and site != normalise(name) and (
                    any(map(self.prog.persons_record, v.insts)) if v.insts
                    else bool(ctx) and self.prog.is_record_noun(ctx.lower(), self.unit)):
                c = self.prog.tax.classify(site, "person")  # a Booking's for a customer:
                if c is not None and c.category not in ("address", "location"):  # its
                    c = None  # `site_postcode` is where the customer is
            if c is not None and c.category == "health" and v.insts and (
                    all(map(self.prog.animals_record, v.insts))
                    or all(map(self.prog.priced_class, v.insts))):
                c = None  # `claim.diagnosis` of a pet insurance Claim: the pet's; the
                # `name` of a priced TreatmentPlan: a product's
            if c is None:
                c = self.own_person_id(name)
            if c is None and obj is not None and last_name(obj) in UPLOADS and self.fn:
                c = self.uploaded(self.flow_name, name)  # request.files["photo"] in
                # upload_headshot()
            if c is not None:
                text = f"{expr_text(obj)}.{name}" if obj is not None else name
                src = Source(c.category, text, self.span(pos), c.pattern, c.context or "")
                if obj is not None and out.labels:  # request.cookies["device_id"] is a
                    holder = expr_text(obj)           # device id, not the cookie jar;
                    out = Val(frozenset(lab for lab in out.labels if not (  # an id has no
                        isinstance(lab, Source) and (lab.field == holder or (  # phone: what
                            lab.category == "user_id" != c.category)))),  # holds one is the
                        out.fields, out.refs, out.funcs, out.classes,  # record it names,
                        out.insts, out.mods, out.text)  # populated (callout.customer.phone)
                out = join(out, Val(frozenset({src})))
        return join(out, fallback)

    @property
    def flow_name(self) -> str:
        """What the running function handles, by its name, or for a callback by the
        words it was registered with (a route's path, an upload field)."""
        fn = self.fn
        if fn is None:
            return ""
        if fn.name in FILE_ROUTE_VERBS and fn.parent is None:  # `POST` in Next.js'
            folders = self.module.path.split("/")  # app/api/members/[id]/photo/route.ts
            if folders[-1].startswith(("route.", "+server.")):  # (SvelteKit: +server.ts)
                return "_".join(part for part in folders[:-1] if part[:1] not in "[(_$+")
        return fn.route if fn.name.startswith("<") and fn.route else fn.name

    def uploaded(self, function: str, name: str = "") -> Classification | None:
        """What a file uploaded to a function is, by the function's name (the taxonomy's
        `face_flows` and `document_flows`), as for its parameters (frame.py); `name`:
        the file's own (a `photo` uploaded for an ID card is its holder's face)."""
        tax = self.prog.tax
        if tax.in_face_flow(function):
            return FACE_IMAGE
        if tax.in_document_flow(function):
            return FACE_IMAGE if name and tax.names_face(name) else IDENTITY_DOCUMENT
        return None

    def route_owner(self, obj: ir.Expr | None, name: str) -> str:
        """What a route parameter names, by the folder before it: `req.query.id` in
        `pages/api/teams/[teamId]/viewers/[id]/index.ts` is a viewer's id, `params.id`
        in `app/users/[id]/route.ts` a user's (Next.js, SvelteKit, Nuxt file routes), and
        in Remix's `app/routes/members.$id.tsx` a member's."""
        while isinstance(obj, ir.Typed):  # `req.query as { id: string }`
            obj = obj.value
        path = self.module.path
        if obj is None or last_name(obj) not in ROUTE_HOLDERS \
                or self.module.language == "python" or ("[" not in path and "$" not in path):
            return ""
        parts = path.split("/")
        if "$" in parts[-1]:  # Remix's flat routes: a file name's dots are its folders
            parts = parts[:-1] + parts[-1].rsplit(".", 1)[0].split(".")
        for i, part in enumerate(parts[1:], 1):
            dynamic = part.startswith("[") or part.startswith("$")
            if dynamic and part.strip("[.]$") == name and not (
                    parts[i - 1].startswith(("[", "(", "_", "$"))):
                return parts[i - 1]
        return ""

    def no_person_record(self, v: Val) -> bool:
        """A record of project classes that say they are no person: reading its phone
        does not make an `Office` one, nor do a `Pet`'s own methods reading its date of
        birth (a `DocumentCheckIn` whose date of birth a handler reads is a person's)."""
        return bool(v.insts) and all(
            (entry := self.prog.classes.get(cid)) is not None
            and (self.prog.tax.is_non_person(entry[0].name) or self.prog.business_class(cid)
                 or self.prog.place_record(cid))
            and not self.prog.person_class(cid)
            for cid in v.insts)

    def disowned(self, v: Val, name: str) -> bool:
        """A record of classes that say they are no person, none of which makes `name`
        a personal field."""
        return self.no_person_record(v) and all(self.prog.tax.classify(
            name, self.owner_word(cid)) is None for cid in v.insts)

    def owner_word(self, cid: str) -> str | None:
        """Whose a record's fields are, in the taxonomy's words: a firm's name says
        nothing of them (None), a place-shaped record's are a venue's, else the class's
        name says."""
        if self.prog.business_class(cid):
            return None
        return PLACE_OWNER if self.prog.place_record(cid) else self.prog.classes[cid][0].name

    def vendor_person(self, path: str) -> bool:
        """An SDK value that is a person's record: a session's `user`, or what a call on
        a person collection returns (`stripe.customers.create()`: its id is a user id).
        The collection's name, and its last word too, say it: `contacts`, Stripe
        Connect's `accounts`, not GoCardless's `billing_requests` (a request) or
        `customer_bank_accounts` (a bank account)."""
        parts = [p.removesuffix("()") for p in path.split(".") if p not in API_SEGMENTS]
        if self.person_collection(parts[-1]):
            return True
        return len(parts) > 2 and path.endswith("()") and self.person_collection(parts[-2])

    def ids_in_path(self, url: ir.Expr | None, pos: ir.Pos) -> Val:
        """`f"{HUBSPOT}/crm/v3/objects/contacts/{existing}"`: what a request's path puts
        after a collection of people is one person's id at that vendor, whatever the
        variable is called (only a plain name or attribute is read again)."""
        if not isinstance(url, ir.Join):
            return EMPTY
        labels: set[Source] = set()
        for before, part in pairwise(url.parts):
            if not (isinstance(before, ir.Str) and before.value.endswith("/")
                    and isinstance(part, ir.Name | ir.Attr)):
                continue
            collection = before.value.rstrip("/").rsplit("/", 1)[-1]
            if not collection or collection.lower() in OWN_ACCOUNTS \
                    or not self.person_collection(collection) or is_configuration(part) \
                    or last_name(part).isupper():
                continue  # (Twilio's /Accounts/{TWILIO_SID}: the project's own account)
            v = self.expr(part)
            if not v.clean and v.text is None and not any(
                    isinstance(lab, Source) for lab in flatten(v)):
                labels.add(Source("user_id", expr_text(part), self.span(pos),
                                  f"{collection} path"))
        return Val(frozenset(labels)) if labels else EMPTY

    def person_collection(self, name: str) -> bool:
        return self.prog.tax.is_person(name) and self.prog.tax.is_person(name.rsplit("_", 1)[-1])

    def named_by_key(self, key: str, v: Val, value: ir.Expr, context: str | None = None,
                     meaning: str | None = None) -> Val:
        """The key names what an unknown value holds: {"postal_code": zip},
        `identify.set("age", row_age)`, `span.set_tag("usr.email", who)`. `meaning`: what
        the key stands for where it is (an OAuth token request's `code`)."""
        if isinstance(value, ir.Seq) and len(value.items) == 1 \
                and isinstance(value.items[0], ir.Name | ir.Attr | ir.Index):
            value = value.items[0]  # include_subscription_ids: [subscriptionId]
        if v.clean or any(isinstance(lab, Source) for lab in flatten(v)) \
                or any(vendor and not answered_value(path) for vendor, path in v.refs) \
                or v.funcs \
                or not isinstance(value, ir.Name | ir.Attr | ir.Index | ir.Call | ir.Op | ir.Comp):
            return v
        if any(map(is_configuration, value.parts if isinstance(value, ir.Op) else (value,))):
            # {username: config.checkrKey, phone: process.env.OPS_PHONE || "+1..."}
            return v
        if isinstance(value, ir.Attr) and last_name(value.obj).lower() == key.lower():
            return v  # set_tag("race", race.name): the key names the object, not a trait
        if isinstance(value, ir.Name) and self.prog.tax.is_sanitiser(value.id):
            return v  # {device_id: sessionDeviceHash}: a parameter its name says is hashed
        if isinstance(value, ir.Name) and self.boolean_param(value.id):
            return v  # {"medical_review": medical_review} of a `medical_review: bool`
        if self.disowned_by_name(value, key):
            return v
        holder = self.context_of(value.obj) if isinstance(value, ir.Attr | ir.Index) else ""
        if holder and self.prog.tax.is_non_person(holder) \
                and self.prog.tax.classify(key, holder) is None:
            return v  # {birthday: pet.birthday}: what it was read from says whose
        if holder and isinstance(value, ir.Attr) and self.prog.tax.vetoed_on(value.name, holder):
            return v  # {region: worker.region}: where the worker works
        record = self.env.get(value.obj.id, EMPTY) if isinstance(value, ir.Attr) \
            and isinstance(value.obj, ir.Name) else EMPTY
        if self.disowned(record, key):  # {phone: instance.phone} of an Office
            return v
        if holder and isinstance(value, ir.Attr) and normalise(key) in (
                normalise(value.name), normalise(f"{holder}_{value.name}")):
            # set_attribute("instance_id", instance.instance_id), {"contractor_address":
            # contractor.address}: the key repeats the field read; its holder, and the
            # holder's class when known (a Contractor firm's address), say whose it is
            if record.insts:
                return v
            context = holder
        meant = meaning or key
        c = self.prog.tax.classify(meant, context) or self.own_person_id(meant)  # "tenant_id"
        if c is None or (c.category == "credentials"  # {"api_key": ...}: the vendor's own,
                         and not self.prog.tax.is_person_secret(meant)):  # not {resetToken: t}
            return v
        if isinstance(value, ir.Attr | ir.Name) and (own := self.prog.tax.classify(
                last_name(value), None)) is not None and not own.contextual \
                and own.category != c.category:
            c = own  # {distinct_id: options.email}: an email, as its own name says
            key = expr_text(value)
        pos = getattr(value, "pos", (0, 0, 0, 0))
        return Val(frozenset({Source(c.category, key, self.span(pos), c.pattern)}))

    def disowned_by_name(self, value: ir.Expr, key: str) -> bool:
        """Whether the value's own name, a form of the key's, already says the data is no
        one's: by itself (`{phone: req.body.depotPhone}`, `{"name": office_name}`) or on
        the object it is read from, also inside arithmetic (`{hourlyRate:
        tutor.hourlyRateCents / 100}`: a tutor's rate is a price)."""
        probe = next((p for p in value.parts if isinstance(p, ir.Attr)), None) \
            if isinstance(value, ir.Op) else value
        if not isinstance(probe, ir.Attr | ir.Index | ir.Name):
            return False
        own, named = normalise(last_name(probe)), normalise(key)
        if probe is value and own.endswith(f"_{named}") and self.prog.tax.classify(own) is None:
            return True
        # {device_id: order.kioskId}: a place's id, whatever the key says (only an id: a
        # prisoner's prison_number and a lead's siteAddress are theirs)
        first, _, rest = own.partition("_")
        if probe is value and rest in ("id", "ids", "uuid") and self.prog.tax.is_non_person(first):
            return True
        holder = self.context_of(probe.obj) if isinstance(probe, ir.Attr) else ""
        if not holder:
            return False
        tax = self.prog.tax
        if (own == named or own.startswith(f"{named}_") or own.endswith(f"_{named}")) \
                and tax.classify(named, holder) is None:
            return True
        # another name for the same thing, read off a place: {"address1": spot.address}
        said, meant = tax.classify(named), tax.classify(own, "user")
        if said is None or meant is None or said.category != meant.category:
            return False
        if tax.is_non_person(holder):
            return True
        # or off a record of a project class that describes no one: {anonymousId: booking.id}
        insts = self.expr(probe.obj).insts if isinstance(probe, ir.Attr) else frozenset()
        return own in ("id", "pk", "uuid") and bool(insts) \
            and not any(map(self.prog.person_class, insts))

    def obj(self, e: ir.Obj, context: str | None = None) -> Val:
        """A literal object; a nested one's keys are read with the keys above them as
        their object (`"usr": {"id": agent}` names a user's id, as `usr.id` would)."""
        fields: dict[str, Val] = {}
        labels: set[Any] = set()
        closed = True  # every key known, unless it spreads something not fully known
        for key, value in e.entries:
            if isinstance(value, ir.Obj) and isinstance(key, str):
                v = self.obj(value, f"{context}.{key}" if context else key)
            else:
                v = self.expr(value)
            if key is None:
                closed = closed and v.closed
                if v.fields:
                    fields.update(v.fields)
                elif v.insts:  # {...dto}: the model's personal fields
                    fields.update(self.model_fields(v, getattr(value, "pos", None)))
                labels |= v.labels
            elif isinstance(key, str):
                fields[key] = self.named_by_key(key, v, value, context,
                                                key_meaning(key, e.entries))
            else:
                self.expr(key)
                labels |= flatten(v)
        if not (context and self.prog.tax.is_non_person(context)) and any(
                isinstance(lab, Source) and lab.category in CONTACT_DATA
                for f in fields.values() for lab in f.labels):
            for key, value in e.entries:  # { name, email, phone } out of a form: beside a
                if isinstance(key, str) and key in fields and isinstance(  # person's email,
                        value, ir.Name | ir.Call):  # `name` is theirs (a field read has a
                    fields[key] = self.named_by_key(  # name of its own: race: runner.raceName)
                        key, fields[key], value, "person")
        return Val(frozenset(labels), fields, closed=closed)


FACE_IMAGE = Classification("biometric", "face image", False, None)
IDENTITY_DOCUMENT = Classification("government_id", "identity document", False, None)
FILE_ROUTE_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
PLACE_OWNER = "venue"  # one of the taxonomy's `places`: how a place-shaped record's fields read
AUTH_USERS = frozenset({"user", "current_user"})  # request.user, self.request.user
AUTH_USER_MODELS = ("User", "AUTH_USER_MODEL")  # OneToOneField(User), (settings.AUTH_USER_MODEL)


def answered_value(path: str) -> bool:
    """A vendor method's answer, not its client (`OneSignal.User.pushSubscription
    .getIdAsync()`, whose key `push_subscription_id` may say it is a device's id; a
    constructor such as `twilio.rest.Client()` makes a client)."""
    head, _, last = path.removesuffix("()").rpartition(".")
    return path.endswith("()") and bool(head) and last[:1].islower()
