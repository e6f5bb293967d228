package io.evasan.mgmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@link FabricControl} that records what management asks of it, with two cell ports and one host port. */
public final class FakeFabric implements FabricControl {
    public static final String TARGET_A = "50:01:fe:10:00:00:00:01";
    public static final String TARGET_B = "50:01:fe:10:00:00:00:03";
    public static final String HOST = "10:00:00:00:c9:aa:00:01";

    public final List<String> calls = new ArrayList<>();
    volatile Map<String, Set<String>> zones;
    public volatile String active;

    @Override
    public int domain() {
        return 1;
    }

    @Override
    public String switchWwn() {
        return "10:00:00:1f:e1:00:00:01";
    }

    @Override
    public String listenAddress() {
        return "127.0.0.1:7210";
    }

    @Override
    public List<Port> ports() {
        return List.of(new Port(1, true, true, 0x010100, TARGET_A, "50:01:fe:10:00:00:00:00", "evasan nsc-a port 5", "target",
                        "A", "A", 5),
                new Port(2, true, true, 0x010200, TARGET_B, "50:01:fe:10:00:00:00:00", "evasan nsc-b port 7", "target",
                        "B", "A", 7),
                new Port(3, true, true, 0x010300, HOST, "20:00:00:00:c9:aa:00:01", "host", "initiator", null, null, 0));
    }

    @Override
    public List<String> targetWwpns() {
        return List.of(TARGET_A, TARGET_B);
    }

    @Override
    public synchronized void activate(String name, Map<String, Set<String>> zones) {
        calls.add("activate " + name);
        this.active = name;
        this.zones = zones;
    }

    @Override
    public synchronized void deactivate() {
        calls.add("deactivate");
        this.active = null;
        this.zones = null;
    }

    @Override
    public Optional<String> activeZoneSet() {
        return Optional.ofNullable(active);
    }

    @Override
    public String defaultZone() {
        return "ALL_ACCESS";
    }
}
