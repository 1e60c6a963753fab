module kitlab.dev/tools/kitref

go 1.23.0

require (
	github.com/moby/patternmatcher v0.6.0
	github.com/opencontainers/go-digest v1.0.0
	github.com/opencontainers/image-spec v1.1.1
	gopkg.in/yaml.v3 v3.0.1
	oras.land/oras-go/v2 v2.6.0
)

require golang.org/x/sync v0.14.0 // indirect
