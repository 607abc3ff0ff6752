package io.mcpproxy.runner;

import io.mcpproxy.core.auth.AuthMode;
import io.mcpproxy.core.auth.AuthSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Option;

/** Flags of {@link AuthSettings}, for every subcommand. */
final class AuthOptions {

    @Option(names = "--auth", paramLabel = "none|bearer|oauth",
            description = "How clients authenticate: none; bearer (static tokens from --bearer-tokens-file); oauth"
                    + " (JWT access tokens of --oauth-issuer for --oauth-audience). Default: none on a loopback"
                    + " address; a streamable, sse or both proxy on any other address refuses to start unless it is"
                    + " given, as none if need be.")
    String mode;

    @Option(names = "--bearer-tokens-file", paramLabel = "FILE",
            description = "bearer: lines '<name> sha256:<hex>' (# comments); make a hash with"
                    + " printf %%s \"$TOKEN\" | sha256sum.")
    Path bearerTokensFile;

    @Option(names = "--oauth-issuer", paramLabel = "URI",
            description = "oauth: the authorization server's issuer; its keys are found through its metadata.")
    URI oauthIssuer;

    @Option(names = "--oauth-audience", paramLabel = "URI",
            description = "oauth: this server's canonical URI (e.g. https://mcp.example.com/mcp); tokens must be"
                    + " issued for it.")
    URI oauthAudience;

    @Option(names = "--oauth-scope", paramLabel = "SCOPE",
            description = "oauth: a scope every token must grant (repeatable; 403 without it).")
    List<String> oauthScopes = new ArrayList<>();

    /**
     * The settings the flags describe; null when {@code --auth} was not given (then no other auth flag may be).
     *
     * @throws IllegalArgumentException for a value the record refuses
     */
    AuthSettings settings() {
        if (mode == null) {
            if (bearerTokensFile != null || oauthIssuer != null || oauthAudience != null || !oauthScopes.isEmpty()) {
                throw new IllegalArgumentException("--bearer-tokens-file and --oauth-* need --auth bearer or oauth");
            }
            return null;
        }
        AuthMode parsed;
        try {
            parsed = AuthMode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--auth must be none, bearer or oauth, got " + mode);
        }
        return new AuthSettings(parsed, bearerTokensFile, oauthIssuer, oauthAudience, Set.copyOf(oauthScopes),
                AuthSettings.NONE.allowedAlgorithms(), AuthSettings.NONE.clockSkew(),
                AuthSettings.NONE.jwksRefreshInterval(), AuthSettings.NONE.jwksCacheTtl(),
                AuthSettings.NONE.fetchTimeout());
    }
}
