package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node tests/browser/perf.spec.mjs}: the LUN page and the dashboard draw the performance charts of two 10 s
 * points this test samples (host I/O recorded in the LUN's meters, the server's clock moved by hand to just before
 * the real now, so the browser's "last hour" holds them), and the dashboard shows the capacity forecast. Screenshots
 * {@code mgmt-ui/target/console-perf-lun.png} and {@code console-perf-dashboard.png}, log
 * {@code mgmt-ui/target/console-perf.log}. Skipped without a browser as {@link BrowserSpec} says.
 */
class ConsolePerfBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDrawTheChartsOfTheSampledPoints() throws Exception {
        BrowserSpec.requireBrowser();
        long w0 = System.currentTimeMillis() / 10_000 * 10_000 - 60_000;
        AtomicLong now = new AtomicLong(w0 + 500);
        try (ApplianceFixture f = new ApplianceFixture(c -> c.clock(now::get).backgroundTickMillis(3_600_000))) {
            assertEquals(201, f.call("POST", "/api/luns", "{\"name\":\"pl\",\"sizeBytes\":4194304}").statusCode());
            f.server.samplePerfNow();   // the baseline
            PerfApiTest.hostIo(f, "pl");
            now.set(w0 + 10_500);
            f.server.samplePerfNow();   // the point of [w0, w0 + 10 s)
            PerfApiTest.hostIo(f, "pl");
            PerfApiTest.hostIo(f, "pl");
            now.set(w0 + 20_500);
            f.server.samplePerfNow();   // the point of [w0 + 10 s, w0 + 20 s)
            BrowserSpec.run("perf.spec.mjs", f, "console-perf.log");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-perf-lun.png")) > 10_000, "screenshot of the LUN page");
        }
    }
}
