package io.evasan.mgmt;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node tests/browser/responsive.spec.mjs} drives Debian's {@code /usr/bin/chromium} through playwright-core: every
 * page fits 360 px without horizontal overflow, the nav collapses behind a keyboard-operable menu button, a dialog
 * fits, traps Tab and closes on Escape, {@code prefers-color-scheme: dark} darkens the page with readable badges, and
 * with the appliance's API server stopped the console says the appliance is unreachable (its URL, a retry) and recovers
 * by itself once the server is back on the same port. The spec stops and starts the server through a loopback control
 * server ({@code CONSOLE_CONTROL}: {@code POST /stop}, {@code POST /start}). Screenshots
 * {@code mgmt-ui/target/console-360.png}, {@code console-dark.png}, {@code console-unreachable.png}, log
 * {@code console-responsive.log}. Skipped without a browser as {@link BrowserSpec} says.
 */
class ConsoleResponsiveBrowserTest {
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldFitAPhoneFollowTheDarkSchemeAndSayWhenTheApplianceIsUnreachable() throws Exception {
        BrowserSpec.requireBrowser();
        try (ApplianceFixture f = new ApplianceFixture()) {
            int apiPort = f.port;
            HttpServer control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            control.createContext("/stop", ex -> answer(ex, () -> f.stopServer()));
            control.createContext("/start", ex -> answer(ex, () -> f.startServer(c -> c.port(apiPort))));
            control.start();
            try {
                BrowserSpec.run("responsive.spec.mjs", f, "console-responsive.log",
                        Map.of("CONSOLE_CONTROL", "http://127.0.0.1:" + control.getAddress().getPort() + "/"));
            } finally {
                control.stop(0);
            }
            for (String shot : new String[] {"console-360.png", "console-dark.png", "console-unreachable.png"}) {
                assertTrue(Files.size(BrowserSpec.SHOTS.resolve(shot)) > 10_000, "screenshot " + shot);
            }
        }
    }

    /** Runs {@code action} for a POST: 204 when it worked, 500 with the failure otherwise. */
    private static void answer(HttpExchange ex, Runnable action) throws IOException {
        int status = 204;
        if (!"POST".equals(ex.getRequestMethod())) {
            status = 405;
        } else {
            try {
                action.run();
            } catch (RuntimeException e) {
                e.printStackTrace();
                status = 500;
            }
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }
}
