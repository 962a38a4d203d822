# hooks/generate.py (Hatchling's example, with hookwise's LifecycleHook for Hatchling's BuildHookInterface)
# pyright: basic
# (Hatchling's documented code as written: its `build_data['artifacts'] = []` pattern is untyped)
import os
from typing import Any

from hookwise import LifecycleHook


class GenerateHook(LifecycleHook):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Generate source code"""
        # Create generated directory
        gen_dir = os.path.join(self.root, "generated")
        os.makedirs(gen_dir, exist_ok=True)

        # Generate files
        code_file = os.path.join(gen_dir, "codegen.py")
        with open(code_file, "w") as f:
            f.write(f'''# Generated code for version {version}
def generated_version():
    return "{version}"
''')

        # Signal to next hook that we generated code
        if "generated_files" not in build_data:
            build_data["generated_files"] = []
        build_data["generated_files"].append(code_file)

        print("✓ Code generation complete")
