#!/usr/bin/env python3
"""Generate host/schema/vim25.json, the compact vim25 schema the SOAP backend
is driven by, from pyVmomi's type tables.

Regenerate (pyVmomi is needed at generation time only):

    pip install pyvmomi && python3 tools/gen-vim25-schema.py

(`--out FILE` writes elsewhere; `--check` exits 1 if the checked-in file differs.)

Why a schema at all: vCenter rejects SOAP bodies whose elements are out of
order or unknown, XML carries no JSON types (a one-element array looks like a
scalar, "5" may be a string or an int), and polymorphic fields need `xsi:type`.
pyVmomi's tables hold exactly that knowledge for every vim25 type and method.

Format (short keys keep the file small; one type per line keeps diffs readable):

    {"v": "<newest vim25 API version in the tables>",
     "d": {"<DataType>": {"b": "<base type>", "f": [["<field>", "<type>"], ...]}},
     "e": {"<EnumType>": ["<value>", ...]},
     "m": {"<ManagedType>": {"b": "<base type>",
                             "p": [["<property>", "<type>"], ...],
                             "M": {"<wsdl method>": {"p": [["<param>", "<type>"], ...],
                                                     "r": "<return type>",
                                                     "t": "<task result type>",
                                                     "x": "<privilege>",
                                                     "y": ["<privilege a parameter needs>", ...]}}}}}

A type is a WSDL type name (`string`, `int`, `long`, `dateTime`, `anyType`,
`base64Binary`, a data/enum type, or a managed type for a reference; the root
`ManagedObject` means a reference of any type) followed by `[]` for an array
and `?` when optional. Fields and parameters are in WSDL order, inherited ones
not repeated (a data type's full field list is its base's, then its own).
`r` is absent for void; `t` is present only for methods returning a Task
(absent when the task has no result); `x` is absent when pyVmomi records no
single privilege (the server checks per argument); `y` lists the privileges
required on parameters (e.g. `Resource.AssignVMToPool` on a `pool`), absent
when there are none.

Only the vim25 API served on /sdk is emitted: the types pyVmomi's core, query
and vim tables define (not pbm, sms, eam, vslm or the vSAN health endpoint).
Two built-ins are written as the WSDL has them rather than as pyVmomi models
them: MethodFault (faultCause: LocalizedMethodFault, faultMessage) and
LocalizedMethodFault (a DynamicData holding fault + localizedMessage).
A field, parameter or result whose VMODL type is a fault is a
LocalizedMethodFault on the wire (as in the WSDL), and is emitted so; only
LocalizedMethodFault.fault itself is the bare fault. Fields pyVmomi marks as links (F_LINK) are the linked object's key on the
wire, so they are emitted as strings.
"""

import argparse
import json
import os
import re
import sys

try:
    import pyVmomi  # noqa: F401  (loads the type tables)
    from pyVmomi import VmomiSupport as V
except ImportError:
    sys.exit("pyVmomi is needed: pip install pyvmomi")

NS = "urn:vim25"
F_LINK = V.F_LINK
F_OPTIONAL = V.F_OPTIONAL

PRIMITIVES = {
    "string": "string",
    "boolean": "boolean",
    "byte": "byte",
    "short": "short",
    "int": "int",
    "long": "long",
    "float": "float",
    "double": "double",
    "anyType": "anyType",
    "vmodl.DateTime": "dateTime",
    "vmodl.TypeName": "string",
    "vmodl.PropertyPath": "string",
    "vmodl.MethodName": "string",
    "vmodl.URI": "anyURI",
    "vmodl.Binary": "base64Binary",
    "vmodl.ManagedObject": "ManagedObject",
}


# The tables that define the vim25 API served on /sdk. pyVmomi also loads the
# vSAN health service's tables, some of which sit in the vim25 namespace but
# exist only on the /vsanHealth endpoint and refer to urn:vsan types.
VIM25_TABLES = ("_typeinfo_core.py", "_typeinfo_query.py", "_typeinfo_vim.py")
BUILTINS = {"vmodl.MethodFault", "vmodl.RuntimeFault", "vmodl.LocalizedMethodFault", "ManagedObject"}


def vim25_names():
    pattern = re.compile(r'Create(?:Data|Managed|Enum)Type\(\s*"([^"]+)"')
    names = set(BUILTINS)
    pkg = os.path.dirname(pyVmomi.__file__)
    for table in VIM25_TABLES:
        with open(os.path.join(pkg, table), encoding="utf-8") as f:
            names.update(pattern.findall(f.read()))
    return names


def in_vim25(version):
    return V.GetWsdlNamespace(version) == NS


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(root, "host", "schema", "vim25.json"))
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()

    wanted = vim25_names()
    data_defs = {k: d for k, d in V._dataDefMap.items() if d[0] in wanted and in_vim25(d[3])}
    managed_defs = {k: d for k, d in V._managedDefMap.items() if d[0] in wanted and in_vim25(d[3])}
    enum_defs = {k: d for k, d in V._enumDefMap.items() if d[0] in wanted and in_vim25(d[2])}

    wsdl_of = {}
    for defs in (data_defs, managed_defs, enum_defs):
        for vmodl, d in defs.items():
            wsdl_of[vmodl] = d[1]
    # pyVmomi keys the managed root as "ManagedObject"; its VMODL name is vmodl.ManagedObject.
    wsdl_of.setdefault("vmodl.ManagedObject", "ManagedObject")

    missing = set()

    def is_fault(vmodl):
        seen = set()
        while vmodl and vmodl not in seen:
            if vmodl == "vmodl.MethodFault":
                return True
            seen.add(vmodl)
            d = data_defs.get(vmodl)
            vmodl = d[2] if d else None
        return False

    def wsdl(t, wire=True):
        arr = t.endswith("[]")
        base = t[:-2] if arr else t
        if wire and is_fault(base):
            # A fault held in a field, parameter or result travels wrapped.
            base = "vmodl.LocalizedMethodFault"
        name = PRIMITIVES.get(base) or wsdl_of.get(base)
        if name is None:
            missing.add(base)
            name = "anyType"
        return name + ("[]" if arr else "")

    def typed(t, flags):
        s = wsdl(t)
        if flags & F_LINK:
            s = "string[]" if s.endswith("[]") else "string"
        if flags & F_OPTIONAL:
            s += "?"
        return s

    def base_of(parent):
        if parent in (None, "vmodl.DataObject", "vmodl.ManagedObject", "ManagedObject"):
            return None
        return wsdl(parent, wire=False)

    names = {}

    def claim(name, kind):
        if name in names and names[name] != kind:
            sys.exit(f"WSDL name {name} is both {names[name]} and {kind}")
        names[name] = kind

    data = {}
    for vmodl, d in data_defs.items():
        _, wname, parent, _version, props = d[:5]
        claim(wname, "data")
        entry = {}
        b = base_of(parent)
        if b:
            entry["b"] = b
        fields = [[p[0], typed(p[1], p[3])] for p in (props or [])]
        if wname == "MethodFault":
            entry = {"b": "DynamicData"}
            fields = [["faultCause", "LocalizedMethodFault?"], ["faultMessage", "LocalizableMessage[]?"]]
        elif wname == "LocalizedMethodFault":
            entry = {"b": "DynamicData"}
            fields = [["fault", "MethodFault"], ["localizedMessage", "string?"]]
        if fields:
            entry["f"] = fields
        data[wname] = entry

    enums = {}
    for vmodl, d in enum_defs.items():
        claim(d[1], "enum")
        enums[d[1]] = list(d[3] or [])

    managed = {}
    for vmodl, d in managed_defs.items():
        _, wname, parent, _version, props, methods = d[:6]
        claim(wname, "managed")
        entry = {}
        b = base_of(parent)
        if b:
            entry["b"] = b
        if props:
            entry["p"] = [[p[0], typed(p[1], p[3])] for p in props]
        ms = {}
        for m in methods or []:
            _mvmodl, mwsdl, _mversion, params, result, priv = m[:6]
            md = {}
            if params:
                md["p"] = [[p[0], typed(p[1], p[3])] for p in params]
            rflags, rtype, rmethod = result
            if rtype != "void":
                md["r"] = typed(rtype, rflags)
            if rtype == "vim.Task" and rmethod != "void":
                md["t"] = wsdl(rmethod, wire=False)
            if priv:
                md["x"] = priv
            param_privs = sorted({p[4] for p in params or [] if len(p) > 4 and p[4]})
            if param_privs:
                md["y"] = param_privs
            ms[mwsdl] = md
        if ms:
            entry["M"] = ms
        managed[wname] = entry

    if missing:
        sys.exit("types not found in the tables: " + ", ".join(sorted(missing)))

    newest = V.GetVersionNamespace(V.newestVersions.GetName("vim")).split("/", 1)[-1]

    def dump(v):
        return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)

    out = ['{"v":' + dump(newest)]
    for key, table in (("d", data), ("e", enums), ("m", managed)):
        lines = [dump(name) + ":" + dump(table[name]) for name in sorted(table)]
        out.append("," + dump(key) + ":{\n" + ",\n".join(lines) + "\n}")
    text = "".join(out) + "}\n"

    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            sys.exit(f"{args.out} is out of date; run: python3 tools/gen-vim25-schema.py")
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out}: {len(data)} data types, {len(enums)} enums, "
          f"{len(managed)} managed types, {sum(len(m.get('M', {})) for m in managed.values())} methods, "
          f"{len(text)} bytes (pyVmomi {'.'.join(map(str, pyVmomi.version_info))}, vim25/{newest})")


if __name__ == "__main__":
    main()
