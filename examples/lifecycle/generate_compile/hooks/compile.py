# hooks/compile.py (Hatchling's example, with hookwise's LifecycleHook for Hatchling's BuildHookInterface)
# pyright: basic
# (Hatchling's documented code as written: its `build_data['artifacts'] = []` pattern is untyped)
from typing import Any

from hookwise import LifecycleHook


class CompileHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile generated code"""
        # Check if generation hook ran and created files
        generated_files = build_data.get("generated_files", [])

        if not generated_files:
            print("⚠ No generated files found")
            return

        # Compile each generated file
        for gen_file in generated_files:
            compiled = self.compile_file(gen_file)
            print(f"✓ Compiled {gen_file} → {compiled}")

        # Include compiled files
        if "artifacts" not in build_data:
            build_data["artifacts"] = []
        build_data["artifacts"].append("generated/**/*.pyc")

    def compile_file(self, file_path: str) -> str:
        """Hypothetical compilation function"""
        # This would be your actual compilation logic
        return file_path + ".compiled"
