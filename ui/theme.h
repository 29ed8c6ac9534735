#pragma once
// Light and dark palettes. "System" keeps the palette the platform gave the
// application at start-up, so the studio follows the desktop's theme.

#include <QPalette>

namespace litestudio::ui {

QPalette lightPalette();
QPalette darkPalette();
// Applies one of the palettes, or the start-up one when `palette` is null.
void applyPalette(const QPalette* palette);

}  // namespace litestudio::ui
