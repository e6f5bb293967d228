package io.evasan.mapping.support;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Makes a test double implement an interface by delegating each called method to the target's
 * public method of the same name and parameter types; methods the double does not have (drills,
 * rebuild, inspection added by redundancy-raid that mapping never calls) throw
 * UnsupportedOperationException. Keeps the test pool compiling while the RAID interfaces grow.
 */
final class Proxies {
    private Proxies() {
    }

    @SuppressWarnings("unchecked")
    static <T> T implement(Class<T> iface, Object target) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getDeclaringClass() == Object.class) {
                return switch (m.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "proxy(" + target + ")";
                };
            }
            Method t;
            try {
                t = target.getClass().getMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                throw new UnsupportedOperationException("test pool does not model " + m.getName());
            }
            try {
                return t.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (T) Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, h);
    }
}
