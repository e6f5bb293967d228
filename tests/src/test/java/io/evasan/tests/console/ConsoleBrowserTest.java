package io.evasan.tests.console;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.lun.LunRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The web console in a real browser: the embedded appliance runs in this JVM on free loopback
 * ports, a LUN gets data in {@value #DATA_SEGMENTS} segments (so its snapclone's BGCOPY, throttled to
 * {@value #BGCOPY_RATE} bytes/s, takes several seconds), then {@code node tests/browser/console.spec.mjs}
 * drives Debian's {@code /usr/bin/chromium} through playwright-core: login, create a LUN in the dialog
 * (server errors next to the field), snapshot and snapclone buttons, both nodes in the drawn tree,
 * the BGCOPY progress bar advancing without a reload; screenshots go to {@code tests/target/console-*.png}.
 *
 * <p>A second test runs {@code tests/browser/sse-parser.test.mjs}: the console's SSE frame parser against a
 * plain model on random frames split into random chunks (seeded; {@code -Devasan.seed=N} repeats a run).
 *
 * <p>Without chromium or {@code tests/browser/node_modules/playwright-core} the browser test is skipped, unless
 * {@code EVASAN_REQUIRE_BROWSER=1} (set by {@code .ci/run}), then it fails.
 */
class ConsoleBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final long SEGMENT = 1L << 20;
    static final int DATA_SEGMENTS = 176;
    static final long BGCOPY_RATE = 8L << 20;
    static final String DATA_LUN = "data0";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDriveTheConsoleInChromium() throws Exception {
        Path browserDir = Path.of("browser").toAbsolutePath();
        Path script = browserDir.resolve("console.spec.mjs");
        requireBrowser(browserDir);
        Path shots = Path.of("target").toAbsolutePath();
        Files.createDirectories(shots);

        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data")))) {
            app.trees().setBgcopyRate(BGCOPY_RATE); // what the launcher's --bgcopy-rate does
            String token = app.createdToken().orElseThrow(() -> new AssertionError("first start prints a token"));
            LunRecord lun = app.controller().createLun(DATA_LUN, 256L << 20);
            byte[] block = new byte[4096];
            for (int s = 0; s < DATA_SEGMENTS; s++) {
                Arrays.fill(block, (byte) (s + 1));
                // one 4 KiB write per 1 MiB segment: the segment gets its own RSEG, which BGCOPY copies whole
                app.controller().writeCache().write(0, lun.id(), s * SEGMENT, ByteBuffer.wrap(block), true);
            }
            String url = "http://127.0.0.1:" + app.mgmtPort() + "/";
            ProcessBuilder pb = new ProcessBuilder("node", script.toString())
                    .directory(browserDir.toFile())
                    .redirectErrorStream(true);
            pb.environment().put("CONSOLE_URL", url);
            pb.environment().put("CONSOLE_TOKEN", token);
            pb.environment().put("CONSOLE_LUN", DATA_LUN);
            pb.environment().put("SCREENSHOT_DIR", shots.toString());
            pb.environment().put("CHROMIUM", CHROMIUM.toString());
            Path log = shots.resolve("console-browser.log");
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            System.out.println(out);
            assertTrue(ended, "console.spec.mjs did not finish in 120 s:\n" + out);
            assertEquals(0, p.exitValue(), "console.spec.mjs failed:\n" + out);
            assertTrue(Files.size(shots.resolve("console-lun.png")) > 10_000, "screenshot of the LUN page written");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldParseEventStreamFramesLikeThePlainModel() throws Exception {
        Path browserDir = Path.of("browser").toAbsolutePath();
        if (!nodeRuns()) {
            if ("1".equals(System.getenv("EVASAN_REQUIRE_BROWSER"))) {
                fail("node is required (EVASAN_REQUIRE_BROWSER=1) but not on the PATH");
            }
            Assumptions.abort("node is not on the PATH");
        }
        String seed = System.getProperty("evasan.seed", Long.toString(System.nanoTime() % 2_147_483_647L));
        Process p = new ProcessBuilder("node", "sse-parser.test.mjs", seed).directory(browserDir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(50, TimeUnit.SECONDS), "sse-parser.test.mjs did not finish");
        System.out.print(out);
        assertEquals(0, p.exitValue(), "the console's SSE parser differs from the model:\n" + out);
    }

    /** Skips (or with EVASAN_REQUIRE_BROWSER=1 fails) when chromium, node or playwright-core is missing. */
    private static void requireBrowser(Path browserDir) throws IOException, InterruptedException {
        String missing = null;
        if (!Files.isExecutable(CHROMIUM)) {
            missing = CHROMIUM + " is not installed (apt-get install -y chromium)";
        } else if (!Files.isRegularFile(browserDir.resolve("node_modules/playwright-core/package.json"))) {
            missing = browserDir.resolve("node_modules/playwright-core") + " is missing (npm ci --prefix tests/browser)";
        } else if (!nodeRuns()) {
            missing = "node is not on the PATH (Node.js 18 or newer)";
        }
        if (missing == null) {
            return;
        }
        if ("1".equals(System.getenv("EVASAN_REQUIRE_BROWSER"))) {
            fail("browser test required (EVASAN_REQUIRE_BROWSER=1) but " + missing);
        }
        Assumptions.abort("browser test skipped: " + missing + "; set EVASAN_REQUIRE_BROWSER=1 to make this a failure");
    }

    private static boolean nodeRuns() throws InterruptedException {
        try {
            Process p = new ProcessBuilder(List.of("node", "--version")).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
