/* The staff bar's disclosure menus (<details data-menu>) work without this file; it adds what people expect of
   a menu: Escape closes the open one (focus back on its button), a click elsewhere closes it, and opening one
   closes the other. */
(() => {
  const openMenus = () => document.querySelectorAll("details[data-menu][open]");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of openMenus()) {
      if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
      menu.open = false;
    }
  });
  document.addEventListener("click", (event) => {
    for (const menu of openMenus()) if (!menu.contains(event.target)) menu.open = false;
  });
  // toggle does not bubble: listen in the capture phase.
  document.addEventListener("toggle", (event) => {
    const opened = event.target;
    if (!opened.open || !opened.matches("details[data-menu]")) return;
    for (const menu of openMenus()) if (menu !== opened) menu.open = false;
  }, true);
})();
