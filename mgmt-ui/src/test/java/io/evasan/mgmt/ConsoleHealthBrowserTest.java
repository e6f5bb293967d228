package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node tests/browser/health.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: the
 * health banner is hidden while every object is OK and shows a drive failed through the API on the open page, and the
 * Events page lists the failure with the audit line of the request, filtered by severity. Screenshots
 * {@code mgmt-ui/target/console-health.png} and {@code console-events.png}, log {@code console-health.log}. Skipped
 * without a browser as {@link BrowserSpec} says.
 */
class ConsoleHealthBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldShowTheHealthBannerAndTheEventsOfAFailedDrive() throws Exception {
        BrowserSpec.requireBrowser();
        try (ApplianceFixture f = new ApplianceFixture()) {
            BrowserSpec.run("health.spec.mjs", f, "console-health.log");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-health.png")) > 10_000, "screenshot of the banner");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-events.png")) > 10_000, "screenshot of the events");
        }
    }
}
