package io.evasan.mgmt;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Fibre Channel fabric the management API shows and zones (the embedded appliance wires it to its
 * {@code fabric-sim} switch; mgmt-ui does not depend on fabric-sim). WWPNs are {@code xx:xx:xx:xx:xx:xx:xx:xx},
 * lower-case hex. Invariants: after {@link #activate} returns, the switch enforces exactly that zone set on every
 * frame; after {@link #deactivate}, the default zone holds ({@link #defaultZone}); implementations are thread-safe.
 */
public interface FabricControl {
    /**
     * One switch port as management sees it. {@code nPortId} 0 and empty names while not logged in; {@code role}
     * "target", "initiator", "initiator+target" or "" (from the name server's FC-4 features for FCP);
     * {@code servedBy} "A" / "B" for the cell's own target ports (the controller serving it now, "" while dark),
     * null for a host's port; {@code relativeTargetPort} the SCSI relative target port id of a cell port, else 0.
     */
    record Port(int index, boolean linkUp, boolean loggedIn, int nPortId, String wwpn, String wwnn, String symbolicName,
                String role, String home, String servedBy, int relativeTargetPort) {
    }

    /** The switch's domain ID. */
    int domain();

    /** The switch's WWN, as text. */
    String switchWwn();

    /** Where hosts connect their links ("127.0.0.1:7210"). */
    String listenAddress();

    /** The switch ports, in order. */
    List<Port> ports();

    /** The cell's own target-port WWPNs (the ones a default zone of the cell would hold). */
    List<String> targetWwpns();

    /** Activates zone set {@code name}: zone name to member WWPNs. */
    void activate(String name, Map<String, Set<String>> zones);

    /** No zone set active: the default zone holds. */
    void deactivate();

    /** The name of the active zone set, if any. */
    Optional<String> activeZoneSet();

    /** "ALL_ACCESS" or "NO_ACCESS": what holds while no zone set is active. */
    String defaultZone();
}
