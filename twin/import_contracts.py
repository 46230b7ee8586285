"""An import-linter contract type for the apps' facades (used by `lint-imports`, see setup.cfg).

An app may import another app only through that app's facade modules — `services`, `selectors`, its
hook and registry modules, its shared types — never its models, tasks, API views or internals. Apps
listed as `shared` (the core kernel) are importable whole.
"""
from __future__ import annotations

import fnmatch

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class FacadeContract(Contract):
    type_name = "facade"

    apps = fields.ListField(subfield=fields.StringField())
    facades = fields.ListField(subfield=fields.StringField())
    shared = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        apps = list(self.apps)  # type: ignore[arg-type]
        shared = set(self.shared or [])  # type: ignore[arg-type]
        ignored = list(self.ignore_importers or [])  # type: ignore[arg-type]
        facades = set(self.facades)  # type: ignore[arg-type]

        def app_of(module: str) -> str | None:
            return next((app for app in apps if module == app or module.startswith(app + ".")), None)

        violations = []
        for app in apps:
            for importer in sorted({app} | graph.find_descendants(app)):
                if any(fnmatch.fnmatchcase(importer, pattern) for pattern in ignored):
                    continue
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    target = app_of(imported)
                    if target is None or target == app or target in shared:
                        continue
                    part = imported[len(target) + 1:].split(".", 1)[0] if imported != target else ""
                    if part in facades:
                        continue
                    lines = sorted({d["line_number"] for d in graph.get_import_details(importer=importer,
                                                                                        imported=imported)})
                    violations.append((importer, imported, lines))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["violations"]:
            output.print_error(f"{importer} -> {imported} (l. {', '.join(map(str, lines))}): import it through "
                               f"the app's {' / '.join(sorted(self.facades))}", bold=False)  # type: ignore[arg-type]
            output.new_line()
