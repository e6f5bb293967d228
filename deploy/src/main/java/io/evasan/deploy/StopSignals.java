package io.evasan.deploy;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT / SIGTERM as a clean stop of the launcher: {@code System.exit(0)}, which runs the shutdown hook that
 * closes the appliance.
 *
 * <p>Invariant: {@link #install} returns true exactly when the signal now stops the appliance. It returns false when
 * the signal was ignored at start: the JVM keeps an inherited SIG_IGN for INT, TERM and HUP and installs no
 * handler (JDK 17 {@code JVM_RegisterSignal}), so nothing in the JVM can make such a process catch it — the
 * caller must start the JVM with the default disposition ({@code appliance.sh} does).
 */
final class StopSignals {
    private StopSignals() {
    }

    /** Makes signal {@code name} ("INT", "TERM") stop the appliance cleanly; false when the process cannot catch it. */
    static boolean install(String name) {
        try {
            SignalHandler old = Signal.handle(new Signal(name), s -> {
                System.out.println("evasan: stopping (SIG" + s.getName() + ")");
                System.out.flush();
                System.exit(0);
            });
            if (old == SignalHandler.SIG_IGN) {
                return false;   // the JVM kept SIG_IGN and did not install the handler
            }
            return true;
        } catch (IllegalArgumentException e) {
            return false;   // reserved by the VM (-Xrs) or unknown on this OS
        }
    }
}
