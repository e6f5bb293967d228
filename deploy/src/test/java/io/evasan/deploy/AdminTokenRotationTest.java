package io.evasan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./appliance.sh --data-dir DIR --rotate-admin-token} (issue 17 item 7): a lost admin token is replaced by a new
 * one printed once; the old one stops working. Refused, writing nothing, while the appliance runs on the directory and
 * where there is no appliance. The startup banner speaks in words: no record syntax, no escape codes.
 */
class AdminTokenRotationTest {
    private static final Pattern NEW_TOKEN = Pattern.compile("new management API token .*: ([A-Za-z0-9_-]{43})\\n");

    /** The launcher run in-process with {@code args}: exit code, stdout and stderr. */
    private record Run(int code, String out, String err) {
    }

    private static Run launcher(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new Appliance()).execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static int status(int port, String token) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/pool"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void shouldReplaceALostTokenWithANewOneShownOnce(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        String old;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(data))) {
            old = app.createdToken().orElseThrow();
            String banner = app.describe();
            assertTrue(banner.contains("  presented: lun0 to every initiator (*) as host LUN 0\n"), banner);
            assertFalse(banner.contains("Presentation[") || banner.contains("\u001b"), banner);

            Run running = launcher("--data-dir", data.toString(), "--rotate-admin-token");
            assertEquals(2, running.code(), running.err());
            assertTrue(running.err().contains("the appliance is running on " + data.toAbsolutePath()), running.err());
            assertFalse(NEW_TOKEN.matcher(running.out()).find(), "no token while it runs: " + running.out());
            assertEquals(200, status(app.mgmtPort(), old), "the running appliance keeps its token");
        }

        Run rotated = launcher("--data-dir", data.toString(), "--rotate-admin-token");
        assertEquals(0, rotated.code(), rotated.err());
        Matcher m = NEW_TOKEN.matcher(rotated.out());
        assertTrue(m.find(), rotated.out());
        String fresh = m.group(1);
        assertNotEquals(old, fresh);

        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(data))) {
            assertTrue(app.createdToken().isEmpty(), "the rotated token is the stored one: nothing new is created");
            assertEquals(200, status(app.mgmtPort(), fresh), "the new token works");
            assertEquals(401, status(app.mgmtPort(), old), "the old token no longer does");
        }
    }

    @Test
    void shouldRefuseWithoutAnApplianceAndCreateNothing(@TempDir Path tmp) throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Run r = launcher("--data-dir", empty.toString(), "--rotate-admin-token");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no appliance in " + empty.toAbsolutePath()), r.err());
        try (var s = Files.list(empty)) {
            assertEquals(0, s.count(), "nothing created");
        }
    }
}
