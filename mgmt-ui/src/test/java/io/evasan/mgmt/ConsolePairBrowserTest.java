package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's controller-pair views in a real browser: a paired appliance ({@link ApplianceFixture} with two
 * NSCs) runs in this JVM, then {@code node tests/browser/controllers.spec.mjs} drives Debian's
 * {@code /usr/bin/chromium} through playwright-core: the LUN page's owner (change dialog with a field error, move),
 * the controllers page (both NSCs side by side), a kill drill confirmed by naming the LUNs that fail over, the
 * restart with failback and the drill history. Screenshots go to {@code mgmt-ui/target/console-*.png}, the
 * script's log to {@code mgmt-ui/target/console-controllers.log}.
 *
 * <p>Without chromium, node or {@code tests/browser/node_modules/playwright-core} the test is skipped, unless
 * {@code EVASAN_REQUIRE_BROWSER=1} (set by {@code .ci/run}), then it fails ({@link BrowserSpec}).
 */
class ConsolePairBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDriveTheControllerViewsInChromium() throws Exception {
        BrowserSpec.requireBrowser();
        try (ApplianceFixture f = new ApplianceFixture("console-pair-", c -> c, true)) {
            BrowserSpec.run("controllers.spec.mjs", f, "console-controllers.log");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-controllers.png")) > 10_000,
                    "screenshot of the controllers page written");
        }
    }
}
