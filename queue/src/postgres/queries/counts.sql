SELECT name, state, count(*) AS tasks
FROM tasks
GROUP BY state, name
ORDER BY name, state
