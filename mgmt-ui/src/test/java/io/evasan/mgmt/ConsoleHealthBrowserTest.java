package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node tests/browser/health.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: the
 * health banner is hidden while every object is OK and shows a drive failed through the API on the open page, and the
 * Events page lists the failure with the audit line of the request, filtered by severity; the Sessions page lists the
 * live iSCSI session and the refused login. Screenshots
 * {@code mgmt-ui/target/console-health.png} and {@code console-events.png}, log {@code console-health.log}. Skipped
 * without a browser as {@link BrowserSpec} says.
 */
class ConsoleHealthBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldShowTheHealthBannerAndTheEventsOfAFailedDrive() throws Exception {
        BrowserSpec.requireBrowser();
        IscsiSessions.Session db1 = new IscsiSessions.Session("A", 1, "iqn.2026-12.test:db1", "400001370000", 3,
                "iqn.2026-01.io.evasan:cell", "127.0.0.1:3260", "127.0.0.1:51000", System.currentTimeMillis(), true, false,
                false, false, 0);
        try (ApplianceFixture f = new ApplianceFixture(c -> c.iscsiSessions(() -> java.util.List.of(db1)))) {
            f.server.loginRefused("iqn.2026-12.test:intruder", "127.0.0.1:40000", 0x0201);
            BrowserSpec.run("health.spec.mjs", f, "console-health.log");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-health.png")) > 10_000, "screenshot of the banner");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-events.png")) > 10_000, "screenshot of the events");
        }
    }
}
