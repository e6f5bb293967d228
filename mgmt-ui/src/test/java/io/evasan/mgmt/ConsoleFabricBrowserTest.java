package io.evasan.mgmt;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
 * The console's Fabric page in a real browser: an appliance whose fabric is a {@link FakeFabric} runs in this JVM, then
 * {@code node tests/browser/fabric.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: the
 * switch ports and the controller serving each cell port, a zone made in the dialog (a bad WWPN refused at its field),
 * a zone set activated and deactivated. Screenshot {@code mgmt-ui/target/console-fabric.png}, log
 * {@code mgmt-ui/target/console-fabric.log}. Skipped without chromium, node or playwright-core unless
 * {@code EVASAN_REQUIRE_BROWSER=1}, as {@link ConsolePairBrowserTest}.
 */
class ConsoleFabricBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDriveTheFabricPageInChromium() throws Exception {
        Path browserDir = Path.of("..", "tests", "browser").toAbsolutePath().normalize();
        requireBrowser(browserDir);
        Path shots = Path.of("target").toAbsolutePath();
        Files.createDirectories(shots);
        FakeFabric fabric = new FakeFabric();
        try (ApplianceFixture f = new ApplianceFixture("console-fabric-", c -> c.fabric(fabric), false)) {
            ProcessBuilder pb = new ProcessBuilder("node", browserDir.resolve("fabric.spec.mjs").toString())
                    .directory(browserDir.toFile()).redirectErrorStream(true);
            pb.environment().put("CONSOLE_URL", "http://127.0.0.1:" + f.port + "/");
            pb.environment().put("CONSOLE_TOKEN", f.token);
            pb.environment().put("SCREENSHOT_DIR", shots.toString());
            pb.environment().put("CHROMIUM", CHROMIUM.toString());
            Path log = shots.resolve("console-fabric.log");
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
            assertTrue(ended, "fabric.spec.mjs did not finish in 120 s:\n" + out);
            assertEquals(0, p.exitValue(), "fabric.spec.mjs failed:\n" + out);
            assertEquals(List.of("activate cfg1", "deactivate"), fabric.calls.subList(fabric.calls.size() - 2, fabric.calls.size()));
        }
    }

    /** Skips (or with EVASAN_REQUIRE_BROWSER=1 fails) when chromium, node or playwright-core is missing. */
    private static void requireBrowser(Path browserDir) throws InterruptedException {
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
