// Keyboard care the server cannot give from afar: everything here must happen in the browser's own event order.
(() => {
    "use strict";

    // Called after an in-app navigation: the new page's heading takes focus, as Blazor's FocusOnNavigate would.
    window.wikiSessions = {
        focusHeading() {
            const heading = document.querySelector(".mud-main-content h1");
            if (!heading) return;
            if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
            heading.focus();
        },
    };
    const reasonField = ".mud-dialog textarea#action-reason";
    const limit = 10000; // a dialog that has not shown by then is not coming (the page shows the error instead)
    let typed = null;    // keys typed between the click that opens a reason dialog and its reason field appearing
    let typedSince = 0;
    let opener = null;   // the control that opened the open dialog, for focus to return to

    // A steward who clicks and types at once types before the dialog reaches the browser: those keys would land on
    // the button (Space or Enter would even click it again) and the reason would start cut. Keep them for the field.
    // The skip link moves focus into the page's content; as a plain link it would resolve against <base href="/">
    // and leave the page.
    document.addEventListener("click", e => {
        if (!(e.target instanceof Element) || !e.target.closest(".skip-link")) return;
        e.preventDefault();
        const main = document.getElementById("main-content");
        if (main) main.focus();
    }, true);

    document.addEventListener("click", e => {
        const trigger = e.target instanceof Element ? e.target.closest(".opens-dialog") : null;
        if (!trigger) return;
        opener = trigger;
        typed = "";
        typedSince = Date.now();
    }, true);

    document.addEventListener("keydown", e => {
        if (typed === null) return;
        if (Date.now() - typedSince > limit || document.querySelector(reasonField)) { typed = null; return; }
        if (e.key === "Escape" || e.ctrlKey || e.metaKey || e.altKey) { typed = null; return; }
        if (e.key === "Backspace") typed = typed.slice(0, -1);
        else if (e.key.length === 1) typed += e.key;
        else if (e.key !== "Enter") return;
        e.preventDefault();
    }, true);

    // Esc cancels an action's dialog as its Cancel button does. MudBlazor hears Esc only once its key interceptor
    // is wired up in the browser, a round trip after the dialog shows; a steward quick with Esc found it ignored.
    document.addEventListener("keydown", e => {
        if (e.key !== "Escape" || e.defaultPrevented) return;
        const cancel = document.querySelector(".mud-dialog #action-cancel");
        if (!cancel || cancel.disabled) return;
        e.preventDefault();
        e.stopPropagation();
        cancel.click();
    }, true);

    // Focus lands on the reason field the moment it is inserted, before the next key is handled; waiting for the
    // server's own focus call would leave a round trip in which keys go nowhere.
    let dialogOpen = false;
    let returning = null; // after a dialog closed: where focus goes back to, until the page has settled
    new MutationObserver(() => {
        const field = document.querySelector(reasonField);
        if (field && !field.dataset.focused) {
            field.dataset.focused = "1";
            field.focus();
            if (typed) {
                field.value = typed + field.value;
                field.dispatchEvent(new Event("input", { bubbles: true }));
            }
            typed = null;
        }
        const open = document.querySelector(".mud-dialog") !== null;
        if (dialogOpen && !open && opener) {
            returning = { element: opener, id: opener.id, until: Date.now() + 3000 };
            opener = null;
        }
        dialogOpen = open;
        if (returning) setTimeout(returnFocus);
    }).observe(document.documentElement, { childList: true, subtree: true });

    // When a dialog closes, focus goes back to the control that opened it (or the one that replaced it when the page
    // redrew), else to the page's heading; never to the page body, which would send the next Tab to the page's start.
    function returnFocus() {
        if (!returning) return;
        if (Date.now() > returning.until) { returning = null; return; }
        const active = document.activeElement;
        const onFallback = active && active.dataset && active.dataset.focusFallback === "1";
        if (active && active !== document.body && active.isConnected && !onFallback) { returning = null; return; }
        const target = returning.element.isConnected ? returning.element
            : returning.id ? document.getElementById(returning.id) : null;
        if (target && !target.disabled) { target.focus(); returning = null; return; }
        if (onFallback) return;
        const heading = document.querySelector(".mud-main-content h1");
        if (heading) {
            heading.setAttribute("tabindex", "-1");
            heading.dataset.focusFallback = "1";
            heading.focus();
        }
    }
})();
