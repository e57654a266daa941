package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// fileLoaders are the kinds of file the page's JS or CSS may import by URL
// (fonts, icons); esbuild copies them out with hashed names under assets/.
var fileLoaders = map[string]api.Loader{
	".woff2": api.LoaderFile,
	".woff":  api.LoaderFile,
	".png":   api.LoaderFile,
	".svg":   api.LoaderFile,
	".ico":   api.LoaderFile,
}

// bundle runs esbuild over the entry points (absolute paths) and returns
// its output in memory as assets, their logical names taken from
// esbuild's "[name]-[hash]" file names: main.js, app.css, and main.css when
// the JS imports CSS. Warnings come back formatted; errors fail the bundle
// with esbuild's own formatted messages.
func bundle(workDir string, entries []string) ([]asset, []string, error) {
	// With Write false nothing lands in outdir; it only anchors output
	// paths and must be absolute.
	outdir := filepath.Join(workDir, ".esbuild-out")
	result := api.Build(api.BuildOptions{
		EntryPoints:       entries,
		AbsWorkingDir:     workDir,
		Bundle:            true,
		Write:             false,
		Outdir:            outdir,
		EntryNames:        "[name]-[hash]",
		ChunkNames:        "[name]-[hash]",
		AssetNames:        "[name]-[hash]",
		PublicPath:        "/" + assetsDir + "/",
		Loader:            fileLoaders,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Target:            api.ES2020,
		Platform:          api.PlatformBrowser,
		// A classic script or a module may load an IIFE, and it keeps the
		// page's names out of the global scope.
		Format:    api.FormatIIFE,
		Charset:   api.CharsetUTF8,
		Sourcemap: api.SourceMapNone,
		LogLevel:  api.LogLevelSilent,
	})
	warnings := api.FormatMessages(result.Warnings, api.FormatMessagesOptions{Kind: api.WarningMessage})
	if len(result.Errors) > 0 {
		msgs := api.FormatMessages(result.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, warnings, fmt.Errorf("esbuild: %d error(s):\n%s", len(result.Errors), strings.TrimRight(strings.Join(msgs, ""), "\n"))
	}
	var assets []asset
	for _, f := range result.OutputFiles {
		rel, err := filepath.Rel(outdir, f.Path)
		if err != nil {
			return nil, warnings, fmt.Errorf("esbuild output %s: %w", f.Path, err)
		}
		name := filepath.ToSlash(rel)
		logical, ok := logicalName(name)
		if strings.Contains(name, "/") || !ok {
			return nil, warnings, fmt.Errorf("esbuild output %q is not a flat [name]-[hash] file name", name)
		}
		assets = append(assets, asset{Logical: logical, Name: name, Data: f.Contents})
	}
	return assets, warnings, nil
}
