package docker

import (
	"fmt"

	"github.com/docker/cli/cli/command"
	dcontext "github.com/docker/cli/cli/context/docker"
	"github.com/moby/moby/client"
)

// ForContext is cli bound to the docker context named name: its Client,
// CurrentContext and DockerEndpoint answer for that context, and
// everything else (streams, config file, context store) is cli's. The
// client is made the way the docker CLI makes its own: the context's
// endpoint and TLS material from the context store, the config file's
// HTTP headers, the CLI's user agent, DOCKER_API_VERSION when set.
// Nothing is contacted. release closes the client made for it; cli's own
// is reused, not closed, when name is the current context.
func ForContext(cli command.Cli, name string) (bound command.Cli, release func(), err error) {
	if name == cli.CurrentContext() {
		return cli, func() {}, nil
	}
	s := cli.ContextStore()
	meta, err := s.GetMetadata(name)
	if err != nil {
		return nil, nil, fmt.Errorf("docker context %q: %w", name, err)
	}
	epMeta, err := dcontext.EndpointFromContext(meta)
	if err != nil {
		return nil, nil, fmt.Errorf("docker context %q: %w", name, err)
	}
	ep, err := dcontext.WithTLSData(s, name, epMeta)
	if err != nil {
		return nil, nil, fmt.Errorf("docker context %q: its TLS material: %w", name, err)
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return nil, nil, fmt.Errorf("docker context %q: %w", name, err)
	}
	if cf := cli.ConfigFile(); cf != nil && len(cf.HTTPHeaders) > 0 {
		opts = append(opts, client.WithHTTPHeaders(cf.HTTPHeaders))
	}
	opts = append(opts, client.WithUserAgent(command.UserAgent()))
	api, err := client.New(opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("docker context %q: %w", name, err)
	}
	return &contextCLI{Cli: cli, name: name, api: api, endpoint: ep}, func() { api.Close() }, nil
}

// ContextNames lists the docker contexts in cli's context store, the
// default one included, in the store's order.
func ContextNames(cli command.Cli) ([]string, error) {
	list, err := cli.ContextStore().List()
	if err != nil {
		return nil, fmt.Errorf("listing the docker contexts: %w", err)
	}
	names := make([]string, len(list))
	for i, m := range list {
		names[i] = m.Name
	}
	return names, nil
}

type contextCLI struct {
	command.Cli
	name     string
	api      client.APIClient
	endpoint dcontext.Endpoint
}

func (c *contextCLI) Client() client.APIClient          { return c.api }
func (c *contextCLI) CurrentContext() string            { return c.name }
func (c *contextCLI) DockerEndpoint() dcontext.Endpoint { return c.endpoint }
