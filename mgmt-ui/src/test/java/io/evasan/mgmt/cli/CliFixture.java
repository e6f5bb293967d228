package io.evasan.mgmt.cli;

import io.evasan.mgmt.ApplianceFixture;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A running appliance for the CLI tests: mgmt-ui's {@link ApplianceFixture} (a pool of 8 small sparse
 * drives under target/, mapping, sharing trees with BGCOPY driven by the test ({@code trees.bgcopyStep}),
 * a controller and a ManagementServer on a free loopback port with its token in the MLD), in a folder
 * {@code target/sanctl-NNN}. {@link #sanctl} runs one sanctl command in-process with captured stdout/stderr.
 */
final class CliFixture extends ApplianceFixture {
    /** One sanctl run: exit code and everything printed. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** The scheme {@link #url} names; a test that restarts the server with TLS sets it to https. */
    String scheme = "http";

    CliFixture() throws IOException {
        this(false);
    }

    /** With the management configuration changed by {@code configure} (e.g. the iSCSI sessions it shows). */
    CliFixture(UnaryOperator<io.evasan.mgmt.ManagementConfig> configure) throws IOException {
        super("sanctl-", configure, false);
    }

    /** {@code paired}: two controllers (NSC A and B), see {@link ApplianceFixture#paired}. */
    CliFixture(boolean paired) throws IOException {
        super("sanctl-", UnaryOperator.identity(), paired);
    }

    String url() {
        return scheme + "://127.0.0.1:" + port;
    }

    /** The environment a user would have: SANCTL_URL and SANCTL_TOKEN set. */
    Map<String, String> env() {
        Map<String, String> e = new HashMap<>();
        e.put("SANCTL_URL", url());
        e.put("SANCTL_TOKEN", token);
        return e;
    }

    Run sanctl(String... args) {
        return sanctl(env(), args);
    }

    static Run sanctl(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Sanctl.commandLine(new Sanctl(env), new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
