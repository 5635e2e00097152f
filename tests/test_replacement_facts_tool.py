"""tools/replacement_facts reads what it claims: a tiny provider tree made here (an SDKv2
resource with a nested block, a names constant and a customdiff rule; a Plugin Framework
resource with RequiresReplace) gives exactly the attributes its source marks; names map to the
pinned pulumi_aws SDK's; bad input is one error line and exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.real_parts import REPO

TOOLS = REPO / "tools"
SDK_RESOURCE = '''
package thing

// @SDKResource("aws_thing", name="Thing")
func resourceThing() *schema.Resource {
	return &schema.Resource{
		CustomizeDiff: customdiff.ForceNewIfChange("sealed", nil),
		SchemaFunc: func() map[string]*schema.Schema {
			return map[string]*schema.Schema{
				names.AttrName: {Type: schema.TypeString, Required: true, ForceNew: true},
				"size":        {Type: schema.TypeInt, Optional: true},
				"access": {
					Type: schema.TypeList, MaxItems: 1, Optional: true,
					Elem: &schema.Resource{Schema: map[string]*schema.Schema{
						"admin":  {Type: schema.TypeBool, Optional: true, ForceNew: true},
						"mode":   {Type: schema.TypeString, Optional: true},
					}},
				},
			}
		},
	}
}
'''
FRAMEWORK_RESOURCE = '''
package thing

// @FrameworkResource("aws_gadget", name="Gadget")
func newGadgetResource(context.Context) (resource.ResourceWithConfigure, error) {
	return &gadgetResource{}, nil
}

func (r *gadgetResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *Resp) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"cluster_name": schema.StringAttribute{
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"note": schema.StringAttribute{Optional: true},
		},
	}
}
'''


def _tree(root: Path) -> Path:
    (root / "names").mkdir(parents=True)
    (root / "names" / "attr_consts_gen.go").write_text(
        'package names\n\nconst (\n\tAttrName = "name"\n)\n')
    service = root / "internal" / "service" / "thing"
    service.mkdir(parents=True)
    (service / "thing.go").write_text(textwrap.dedent(SDK_RESOURCE))
    (service / "gadget.go").write_text(textwrap.dedent(FRAMEWORK_RESOURCE))
    return root


def _extract(src: Path, *resources: str) -> subprocess.CompletedProcess[str]:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go toolchain on PATH (tools/replacement_facts is a Go program)")
    binary = src.parent / "replacement_facts"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=TOOLS / "replacement_facts",
                   check=True, timeout=300)
    return subprocess.run([str(binary), "-src", str(src), *resources], capture_output=True,
                          text=True, check=False, timeout=60)


def test_the_extractor_reads_force_new_requires_replace_and_customdiff(tmp_path: Path) -> None:
    run = _extract(_tree(tmp_path / "provider"), "aws_thing", "aws_gadget")
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["aws_thing"] == {"kind": "sdkv2", "file": "internal/service/thing/thing.go",
                                  "replace": ["access.admin", "name"],
                                  "conditional": ["sealed"]}
    assert found["aws_gadget"]["kind"] == "framework"
    assert found["aws_gadget"]["replace"] == ["cluster_name"]


def test_the_extractor_refuses_an_unknown_resource(tmp_path: Path) -> None:
    run = _extract(_tree(tmp_path / "provider"), "aws_nothing")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: no resource aws_nothing") and "fix:" in run.stderr


def test_names_map_as_the_pinned_sdk_names_them() -> None:
    sys.path.insert(0, str(TOOLS))
    try:
        from replacement_facts import pulumi_path, sdk_names
    finally:
        sys.path.remove(str(TOOLS))
    eks = sdk_names("aws:eks/cluster:Cluster")
    assert pulumi_path("access_config.bootstrap_cluster_creator_admin_permissions", eks) == \
        "accessConfig.bootstrapClusterCreatorAdminPermissions"
    assert pulumi_path("enabled_cluster_log_types", eks) == "enabledClusterLogTypes"
    assert pulumi_path("no_such_thing", eks) is None


def test_the_generator_refuses_a_folder_that_is_no_provider(tmp_path: Path) -> None:
    out = tmp_path / "facts.yaml"
    run = subprocess.run([sys.executable, str(TOOLS / "replacement_facts.py"), "--src",
                          str(tmp_path), "--module-version", "v1.60.1-0.2026-abc", "--out",
                          str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 2 and run.stderr.startswith("error: ") and "fix:" in run.stderr
    assert not out.exists()
