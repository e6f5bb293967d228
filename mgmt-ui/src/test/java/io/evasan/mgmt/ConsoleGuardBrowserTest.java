package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node tests/browser/guards.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: deleting a
 * LUN a registered host sees lists the host and the LUN's snapshot and asks for the LUN's name (a wrong one deletes
 * nothing), and a shrink the server refuses without force is asked for the same way and then sent forced. Screenshot
 * {@code mgmt-ui/target/console-guard.png}, log {@code mgmt-ui/target/console-guard.log}. Skipped without a browser as
 * {@link BrowserSpec} says.
 */
class ConsoleGuardBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldAskForTheLunsNameAndListItsHostsBeforeAForcedChange() throws Exception {
        BrowserSpec.requireBrowser();
        try (ApplianceFixture f = new ApplianceFixture()) {
            BrowserSpec.run("guards.spec.mjs", f, "console-guard.log");
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-guard.png")) > 10_000, "screenshot of the confirmation");
        }
    }
}
