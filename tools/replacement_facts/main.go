// Command replacement_facts reads terraform-provider-aws sources and prints, for each named
// resource, the attributes whose change makes Terraform (and so the Pulumi bridge) replace it:
// `ForceNew: true` in SDKv2 schemas, a RequiresReplace* plan modifier in Plugin Framework
// schemas, and the attributes named by customdiff.ForceNewIf/ForceNewIfChange (conditional).
//
//	go run . -src DIR aws_eks_cluster aws_db_instance ...
//
// DIR is the provider's source tree (the module root, holding names/ and internal/service/).
// Output: one JSON object {tf resource: {kind, file, replace, conditional}} on stdout; paths are
// dotted snake_case (block.attribute). Bad input: one "error: ... fix: ..." line, exit 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type facts struct {
	Kind        string   `json:"kind"`
	File        string   `json:"file"`
	Replace     []string `json:"replace"`
	Conditional []string `json:"conditional"`
}

var annotation = regexp.MustCompile(`@(SDKResource|FrameworkResource)\("([a-z0-9_]+)"`)

func fail(msg, fix string) {
	fmt.Fprintf(os.Stderr, "error: %s fix: %s\n", msg, fix)
	os.Exit(2)
}

// consts reads the string constants of the provider's names package (names.AttrX -> "x").
func consts(src string) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(src, "names", "*.go"))
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			continue
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out["names."+name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return out
}

type walker struct {
	names       map[string]string
	local       map[string]string // the resource file's own string constants
	replace     map[string]bool
	conditional map[string]bool
}

func (w *walker) key(e ast.Expr) (string, bool) {
	switch k := e.(type) {
	case *ast.BasicLit:
		if k.Kind == token.STRING {
			s, err := strconv.Unquote(k.Value)
			return s, err == nil
		}
	case *ast.SelectorExpr:
		if x, ok := k.X.(*ast.Ident); ok {
			s, found := w.names[x.Name+"."+k.Sel.Name]
			return s, found
		}
	case *ast.Ident:
		s, found := w.local[k.Name]
		return s, found
	}
	return "", false
}

func fieldName(kv *ast.KeyValueExpr) string {
	if id, ok := kv.Key.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// marks says whether one attribute's literal forces replacement (SDKv2 or Plugin Framework).
func marks(lit *ast.CompositeLit) bool {
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		switch fieldName(kv) {
		case "ForceNew":
			if id, ok := kv.Value.(*ast.Ident); ok && id.Name == "true" {
				return true
			}
		case "PlanModifiers":
			found := false
			ast.Inspect(kv.Value, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "RequiresReplace") {
						found = true
					}
				}
				return !found
			})
			if found {
				return true
			}
		}
	}
	return false
}

func unwrap(e ast.Expr) *ast.CompositeLit {
	switch v := e.(type) {
	case *ast.CompositeLit:
		return v
	case *ast.UnaryExpr:
		return unwrap(v.X)
	case *ast.FuncLit: // SchemaFunc: func() map[string]*schema.Schema { return map... }
		var lit *ast.CompositeLit
		ast.Inspect(v.Body, func(n ast.Node) bool {
			if r, ok := n.(*ast.ReturnStmt); ok && lit == nil && len(r.Results) == 1 {
				lit = unwrap(r.Results[0])
			}
			return lit == nil
		})
		return lit
	}
	return nil
}

// attributes walks a string-keyed map of attribute literals; nested blocks add a path segment.
func (w *walker) attributes(lit *ast.CompositeLit, prefix string) {
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		name, ok := w.key(kv.Key)
		value := unwrap(kv.Value)
		if !ok || value == nil {
			continue
		}
		path := prefix + name
		if marks(value) {
			w.replace[path] = true
		}
		w.nested(value, path+".")
	}
}

// nested finds the attribute maps inside one attribute (Elem, NestedObject, Attributes, Blocks).
func (w *walker) nested(lit *ast.CompositeLit, prefix string) {
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		value := unwrap(kv.Value)
		if value == nil {
			continue
		}
		switch fieldName(kv) {
		case "Schema", "SchemaFunc", "Attributes", "Blocks":
			w.attributes(value, prefix)
		case "Elem", "NestedObject":
			w.nested(value, prefix)
		}
	}
}

// customDiff records customdiff.ForceNewIf/ForceNewIfChange("attr", ...) in a function.
func (w *walker) customDiff(body ast.Node) {
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "ForceNewIf") {
			if name, ok := w.key(call.Args[0]); ok {
				w.conditional[name] = true
			}
		}
		return true
	})
}

func sorted(set map[string]bool) []string {
	out := []string{}
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func localConsts(file *ast.File) map[string]string {
	out := map[string]string{}
	for _, decl := range file.Decls {
		if gen, ok := decl.(*ast.GenDecl); ok && gen.Tok == token.CONST {
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return out
}

// schemaOf finds the resource's schema: the SDKv2 constructor's Resource literal, or the
// Plugin Framework resource type's Schema method.
func schemaOf(file *ast.File, fn *ast.FuncDecl, kind string) ast.Node {
	if kind == "sdkv2" {
		return fn.Body
	}
	typeName := ""
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.CompositeLit); ok && typeName == "" {
			if id, ok := lit.Type.(*ast.Ident); ok {
				typeName = id.Name
			}
		}
		return typeName == ""
	})
	for _, decl := range file.Decls {
		m, ok := decl.(*ast.FuncDecl)
		if !ok || m.Recv == nil || m.Name.Name != "Schema" || len(m.Recv.List) == 0 {
			continue
		}
		recv := m.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); ok && id.Name == typeName {
			return m.Body
		}
	}
	return nil
}

func find(src, resource string, names map[string]string) (facts, error) {
	dirs, _ := filepath.Glob(filepath.Join(src, "internal", "service", "*"))
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil || !strings.Contains(string(data), `Resource("`+resource+`"`) {
				continue
			}
			file, err := parser.ParseFile(fset, path, data, parser.ParseComments)
			if err != nil {
				return facts{}, err
			}
			for _, decl := range file.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Doc == nil {
					continue
				}
				m := annotation.FindStringSubmatch(fn.Doc.Text())
				if m == nil || m[2] != resource {
					continue
				}
				kind := map[string]string{"SDKResource": "sdkv2", "FrameworkResource": "framework"}[m[1]]
				w := &walker{names: names, local: localConsts(file), replace: map[string]bool{}, conditional: map[string]bool{}}
				body := schemaOf(file, fn, kind)
				if body == nil {
					return facts{}, fmt.Errorf("%s: no schema found for %s", path, resource)
				}
				top := false
				ast.Inspect(body, func(n ast.Node) bool {
					lit, ok := n.(*ast.CompositeLit)
					if !ok || top {
						return !top
					}
					for _, elt := range lit.Elts {
						if kv, ok := elt.(*ast.KeyValueExpr); ok {
							switch fieldName(kv) {
							case "Schema", "SchemaFunc", "Attributes", "Blocks":
								top = true
							}
						}
					}
					if top {
						w.nested(lit, "")
					}
					return !top
				})
				w.customDiff(fn.Body)
				rel, _ := filepath.Rel(src, path)
				return facts{Kind: kind, File: filepath.ToSlash(rel), Replace: sorted(w.replace), Conditional: sorted(w.conditional)}, nil
			}
		}
	}
	return facts{}, fmt.Errorf("no resource %s registered under %s/internal/service", resource, src)
}

func main() {
	src := flag.String("src", "", "terraform-provider-aws source tree")
	flag.Parse()
	if *src == "" || flag.NArg() == 0 {
		fail("need -src DIR and at least one resource name.", "go run . -src DIR aws_eks_cluster ...")
	}
	if _, err := os.Stat(filepath.Join(*src, "names")); err != nil {
		fail(fmt.Sprintf("%s has no names/ package.", *src), "pass the terraform-provider-aws module root")
	}
	names := consts(*src)
	out := map[string]facts{}
	for _, resource := range flag.Args() {
		f, err := find(*src, resource, names)
		if err != nil {
			fail(err.Error()+".", "name a resource the provider registers (@SDKResource/@FrameworkResource)")
		}
		out[resource] = f
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fail(err.Error(), "check stdout")
	}
}
