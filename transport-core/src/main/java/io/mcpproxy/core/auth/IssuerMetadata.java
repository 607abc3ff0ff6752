package io.mcpproxy.core.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;

/**
 * An authorization server's metadata, found as the MCP authorization specification orders it: RFC 8414 with the
 * issuer's path after the well-known segment, then OpenID Connect discovery with path insertion, then with the
 * path appended. The document must name the configured issuer exactly.
 *
 * @param jwksUri where the issuer publishes its signing keys
 */
record IssuerMetadata(URI jwksUri) {

    /** The metadata of {@code issuer}; IOException when no candidate answers with a matching document. */
    static IssuerMetadata discover(URI issuer, ResourceRetriever retriever) throws IOException {
        IOException last = null;
        for (URI candidate : candidates(issuer)) {
            try {
                JsonNode document = JsonRpc.MAPPER.readTree(retriever.retrieveResource(candidate.toURL()).getContent());
                String named = document.path("issuer").asText(null);
                String jwks = document.path("jwks_uri").asText(null);
                if (!issuer.toString().equals(named)) {
                    last = new IOException(candidate + " names issuer " + named + ", not " + issuer);
                } else if (jwks == null) {
                    last = new IOException(candidate + " names no jwks_uri");
                } else {
                    return new IssuerMetadata(URI.create(jwks));
                }
            } catch (IOException | RuntimeException e) {
                last = e instanceof IOException io ? io : new IOException(candidate + ": " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** The discovery URLs of {@code issuer}, in the order they are tried. */
    static List<URI> candidates(URI issuer) {
        String origin = issuer.getScheme() + "://" + issuer.getRawAuthority();
        String path = issuer.getRawPath() == null ? "" : issuer.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        List<URI> candidates = new ArrayList<>();
        candidates.add(URI.create(origin + "/.well-known/oauth-authorization-server" + path));
        candidates.add(URI.create(origin + "/.well-known/openid-configuration" + path));
        if (!path.isEmpty()) {
            candidates.add(URI.create(origin + path + "/.well-known/openid-configuration"));
        }
        return candidates;
    }

    URL jwksUrl() throws IOException {
        return jwksUri.toURL();
    }
}
