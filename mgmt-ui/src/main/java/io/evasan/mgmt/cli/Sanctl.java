package io.evasan.mgmt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sanctl}: the command-line client of the appliance's management REST API. Every command is one
 * (or, for {@code --wait}, a few) HTTP requests; answers print as tables, or verbatim with {@code --json}.
 *
 * <p>Exit codes (invariant: every run ends with exactly one of them):
 * 0 success; 1 the appliance refused the request (4xx/5xx; one line {@code sanctl: <status> <error> (field <f>)}
 * on stderr) or answered something unexpected; 2 usage error (bad option or argument, unreadable token or
 * certificate file); 3 the appliance could not be reached (connection refused or timed out, TLS handshake refused).
 */
@Command(name = "sanctl", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, usageHelpWidth = 100,
        versionProvider = Sanctl.Version.class,
        description = "Manage an evasan appliance over its REST API.",
        footerHeading = "%nEnvironment:%n",
        footer = {"  SANCTL_URL    default for --url", "  SANCTL_TOKEN  default for --token",
                "%nExit codes: 0 ok, 1 the appliance refused the request, 2 usage error, 3 appliance unreachable."},
        subcommands = {
                PoolCommands.class, GroupCommands.class, DriveCommands.class, LunCommands.class, SnapshotCommands.class,
                JobCommands.class, HostCommands.class, ControllerCommands.class, PairCommands.Controllers.class,
                PairCommands.Drill.class, PairCommands.PullDrive.class, PairCommands.Drills.class, ScheduleCommands.class,
                BackupCommands.class, QuarantineCommands.class, FabricCommands.Fabric.class, FabricCommands.Zone.class,
                OtherCommands.Metrics.class, OtherCommands.Events.class, HealthCommands.class, SessionCommands.class, AlertCommands.class, OtherCommands.OpenApi.class, PerfCommands.class,
                CommandLine.HelpCommand.class})
public final class Sanctl implements Callable<Integer> {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    public static final int EXIT_REFUSED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Appliance URL, as printed at its start (a trailing /api is fine; default: $SANCTL_URL, else "
                    + DEFAULT_URL + ").")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            description = "API token (default: $SANCTL_TOKEN). The appliance prints it once on its first start.")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Read the API token from FILE (first line).")
    Path tokenFile;

    @Option(names = "--cacert", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Trust the certificate(s) in this PEM file for https (host names are still checked).")
    Path cacert;

    @Option(names = "--insecure", scope = ScopeType.INHERIT,
            description = "https without checking the certificate or host name.")
    boolean insecure;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print the API's JSON answer instead of a table.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION", scope = ScopeType.INHERIT, converter = Converters.DurationArg.class,
            description = "Connect and answer timeout, e.g. 30s, 5m (default: 120s).")
    Duration timeout;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    /** A sanctl reading its defaults from the process environment. */
    public Sanctl() {
        this(System.getenv());
    }

    /** A sanctl reading SANCTL_URL / SANCTL_TOKEN from {@code env} (tests pass their own). */
    public Sanctl(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Sanctl(), new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)).execute(args));
    }

    /** The configured picocli command line (exit-code mapping and error printing included). */
    public static CommandLine commandLine(Sanctl sanctl, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(sanctl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Sanctl::usageError);
        cl.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter w = cmd.getErr();
            cmd.getOut().flush();
            if (sanctl.json() && (e instanceof ApiException || e instanceof UnreachableException || e instanceof IllegalStateException)) {
                w.println(jsonError(e).encode());   // --json: errors are JSON too, on stderr
                w.flush();
                return e instanceof UnreachableException ? EXIT_UNREACHABLE : EXIT_REFUSED;
            }
            if (e instanceof ApiException a) {
                w.println("sanctl: " + a.line());
                if ("force".equals(a.field()) && !a.getMessage().contains("--force")) {   // the API's words are not the CLI's
                    w.println("sanctl: add --force to do it anyway");
                }
                if (a.status() == 401) {
                    w.println("sanctl: " + (sanctl.tokenGiven()
                            ? "the appliance rejected the token; check --token, --token-file or SANCTL_TOKEN"
                            : "no token given; pass the appliance's API token with --token TOKEN, --token-file FILE"
                            + " or the environment variable SANCTL_TOKEN (the appliance prints it once, on its first start)"));
                }
                w.flush();
                return EXIT_REFUSED;
            }
            if (e instanceof UnreachableException u) {
                w.println("sanctl: " + u.getMessage());
                w.flush();
                return EXIT_UNREACHABLE;
            }
            if (e instanceof IllegalStateException) {
                w.println("sanctl: " + e.getMessage());
                w.flush();
                return EXIT_REFUSED;
            }
            throw e;
        });
        return cl;
    }

    /**
     * The JSON form of a failed command for {@code --json}: the appliance's error body ({@code error}, {@code field},
     * {@code code} and details) with {@code status}; otherwise {@code {"error": ...}} (and {@code "unreachable": true}).
     */
    static io.vertx.core.json.JsonObject jsonError(Exception e) {
        io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject();
        if (e instanceof ApiException a) {
            try {
                o = new io.vertx.core.json.JsonObject(a.body());
            } catch (RuntimeException notJson) {
                o.put("error", a.getMessage());
            }
            return o.put("status", a.status());
        }
        o.put("error", e.getMessage());
        return e instanceof UnreachableException ? o.put("unreachable", true) : o;
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter w = cmd.getErr();
        if (java.util.Arrays.asList(args).contains("--json")) {
            w.println(new io.vertx.core.json.JsonObject().put("error", e.getMessage()).put("usage", true).encode());
            w.flush();
            return EXIT_USAGE;
        }
        w.println("sanctl: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
        w.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        w.flush();
        return EXIT_USAGE;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    boolean tokenGiven() {
        return token != null || tokenFile != null || (env.get("SANCTL_TOKEN") != null && !env.get("SANCTL_TOKEN").isBlank());
    }

    /**
     * The client the global options describe.
     *
     * @throws ParameterException (exit 2) for contradictory or unreadable options
     */
    ApiClient client(CommandLine cmd) {
        String u = url != null ? url : env.getOrDefault("SANCTL_URL", "");
        if (u.isBlank()) {
            u = DEFAULT_URL;
        }
        u = u.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        if (u.endsWith("/api")) {
            u = u.substring(0, u.length() - 4); // the appliance prints its API as http://HOST:PORT/api
        }
        URI uri;
        try {
            uri = new URI(u);
        } catch (URISyntaxException e) {
            throw new ParameterException(cmd, "--url '" + u + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new ParameterException(cmd, "--url '" + u + "' must be http://HOST[:PORT] or https://HOST[:PORT]");
        }
        if (token != null && tokenFile != null) {
            throw new ParameterException(cmd, "give either --token or --token-file, not both");
        }
        if (cacert != null && insecure) {
            throw new ParameterException(cmd, "give either --cacert or --insecure, not both");
        }
        String t = token;
        if (tokenFile != null) {
            try {
                t = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
            } catch (IOException e) {
                throw new ParameterException(cmd, "--token-file " + tokenFile + ": cannot read it ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage()) + ")");
            }
            if (t.isEmpty()) {
                throw new ParameterException(cmd, "--token-file " + tokenFile + " is empty");
            }
        } else if (t == null) {
            String e = env.get("SANCTL_TOKEN");
            t = e == null || e.isBlank() ? null : e.strip();
        }
        SSLContext ssl = null;
        if (cacert != null) {
            try {
                ssl = ApiClient.trusting(cacert);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(cmd, e.getMessage());
            }
        } else if (insecure) {
            ssl = ApiClient.trustingAnything();
        }
        return new ApiClient(u, t, ssl, timeout == null ? DEFAULT_TIMEOUT : timeout);
    }

    boolean json() {
        return json;
    }

    /** The version printed by {@code --version}: the jar's implementation version when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Sanctl.class.getPackage().getImplementationVersion();
            return new String[]{"sanctl " + (v == null ? "(development build)" : v)};
        }
    }
}
