package io.evasan.mgmt;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs one of {@code tests/browser}'s specs ({@code node <spec>}: Debian's {@code /usr/bin/chromium} through
 * playwright-core) against an appliance's console, for mgmt-ui's browser tests. The spec gets {@code CONSOLE_URL},
 * {@code CONSOLE_TOKEN}, {@code SCREENSHOT_DIR} ({@code mgmt-ui/target}) and {@code CHROMIUM}; its output goes to
 * {@code mgmt-ui/target/<log>}. Without chromium, node or {@code tests/browser/node_modules/playwright-core} the
 * calling test is skipped, unless {@code EVASAN_REQUIRE_BROWSER=1} (set by {@code .ci/run}), then it fails.
 */
final class BrowserSpec {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DIR = Path.of("..", "tests", "browser").toAbsolutePath().normalize();
    static final Path SHOTS = Path.of("target").toAbsolutePath();

    private BrowserSpec() {
    }

    /** Skips (or with EVASAN_REQUIRE_BROWSER=1 fails) when chromium, node or playwright-core is missing. */
    static void requireBrowser() throws InterruptedException {
        String missing = null;
        if (!Files.isExecutable(CHROMIUM)) {
            missing = CHROMIUM + " is not installed (apt-get install -y chromium)";
        } else if (!Files.isRegularFile(DIR.resolve("node_modules/playwright-core/package.json"))) {
            missing = DIR.resolve("node_modules/playwright-core") + " is missing (npm ci --prefix tests/browser)";
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

    /** Runs {@code spec} against {@code f}'s console (at most 120 s) and asserts it passed; returns its output. */
    static String run(String spec, ApplianceFixture f, String log) throws IOException, InterruptedException {
        return run(spec, f, log, java.util.Map.of());
    }

    /** As {@link #run(String, ApplianceFixture, String)}, with {@code env} added to the spec's environment. */
    static String run(String spec, ApplianceFixture f, String log, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        Files.createDirectories(SHOTS);
        ProcessBuilder pb = new ProcessBuilder("node", DIR.resolve(spec).toString())
                .directory(DIR.toFile()).redirectErrorStream(true);
        pb.environment().put("CONSOLE_URL", "http://127.0.0.1:" + f.port + "/");
        pb.environment().put("CONSOLE_TOKEN", f.token);
        pb.environment().put("SCREENSHOT_DIR", SHOTS.toString());
        pb.environment().put("CHROMIUM", CHROMIUM.toString());
        pb.environment().putAll(env);
        Path logFile = SHOTS.resolve(log);
        pb.redirectOutput(logFile.toFile());
        Process p = pb.start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(logFile, StandardCharsets.UTF_8);
        System.out.println(out);
        assertTrue(ended, spec + " did not finish in 120 s:\n" + out);
        assertEquals(0, p.exitValue(), spec + " failed:\n" + out);
        return out;
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
