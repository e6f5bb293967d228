package io.evasan.mgmt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's Fabric page in a real browser: an appliance whose fabric is a {@link FakeFabric} runs in this JVM, then
 * {@code node tests/browser/fabric.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: the
 * switch ports and the controller serving each cell port, a zone made in the dialog (a bad WWPN refused at its field),
 * a zone set activated and deactivated. Screenshot {@code mgmt-ui/target/console-fabric.png}, log
 * {@code mgmt-ui/target/console-fabric.log}. Skipped without a browser as {@link BrowserSpec} says.
 */
class ConsoleFabricBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldDriveTheFabricPageInChromium() throws Exception {
        BrowserSpec.requireBrowser();
        FakeFabric fabric = new FakeFabric();
        try (ApplianceFixture f = new ApplianceFixture("console-fabric-", c -> c.fabric(fabric), false)) {
            BrowserSpec.run("fabric.spec.mjs", f, "console-fabric.log");
            assertEquals(List.of("activate cfg1", "deactivate"), fabric.calls.subList(fabric.calls.size() - 2, fabric.calls.size()));
            assertTrue(Files.size(BrowserSpec.SHOTS.resolve("console-fabric.png")) > 10_000, "screenshot of the Fabric page");
        }
    }
}
